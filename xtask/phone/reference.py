"""The reference verdict on each line of stdin, one line of stdout each: the region (ISO 3166-1
alpha-2, or 001 for a non-geographic code) of a valid number, or `-`.

A number is valid in strict E.164 when Google's libphonenumber (the PyPI package
`phonenumbers`) parses it, finds it valid and formats it back in E.164 to exactly the input,
and it has at most 15 digits (ITU-T E.164 section 6.1; the library alone accepts some longer
German numbers). A number the library alone finds valid but that is longer gets `-15`, which
the report counts separately.
"""

import sys

import phonenumbers
from phonenumbers import PhoneNumberFormat


def verdict(value):
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return "-"
    if not phonenumbers.is_valid_number(number):
        return "-"
    if phonenumbers.format_number(number, PhoneNumberFormat.E164) != value:
        return "-"
    return phonenumbers.region_code_for_number(number) or "-"


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--version":
        print(phonenumbers.__version__)
        return
    out = []
    for line in sys.stdin:
        value = line.rstrip("\n")
        region = verdict(value)
        if region != "-" and len(value) - 1 > 15:
            region = "-15"
        out.append(region)
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
