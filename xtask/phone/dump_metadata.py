"""Writes the metadata of Google's libphonenumber, as the PyPI package `phonenumbers` carries
it, to the JSON file `cargo xtask codegen` builds kaleyra-phone's tables from.

Only what a strict E.164 verdict consults is kept: per country code its regions in the order
the library tries them, and per region the patterns and lengths of the descriptors
`_number_type_helper` checks, the leading digits, the national prefix for parsing and its
transform rule, plus every example number (the differential tests start from them).

Usage: python dump_metadata.py OUT.json
"""

import json
import sys

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE
from phonenumbers.phonemetadata import PhoneMetadata

# The order `_number_type_helper` tries them in, general first.
DESCRIPTORS = [
    "general_desc",
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
]

# Short codes and the like: not E.164 numbers, but good material for the differential tests.
OTHER_EXAMPLES = [
    "emergency",
    "short_code",
    "standard_rate",
    "carrier_specific",
    "sms_services",
    "no_international_dialling",
]


def descriptor(desc):
    if desc is None:
        return None
    return {
        "pattern": desc.national_number_pattern,
        "lengths": list(desc.possible_length),
        "local_lengths": list(desc.possible_length_local_only),
        "example": desc.example_number,
    }


def region(code, region_id, meta):
    descriptors = [descriptor(getattr(meta, name)) for name in DESCRIPTORS]
    other_examples = sorted(
        {
            getattr(meta, name).example_number
            for name in OTHER_EXAMPLES
            if getattr(meta, name, None) is not None and getattr(meta, name).example_number
        }
    )
    return {
        "id": None if region_id == "001" else region_id,
        "national_prefix": meta.national_prefix,
        "national_prefix_for_parsing": meta.national_prefix_for_parsing,
        "national_prefix_transform_rule": meta.national_prefix_transform_rule,
        "leading_digits": meta.leading_digits,
        "same_mobile_and_fixed_line_pattern": bool(meta.same_mobile_and_fixed_line_pattern),
        "descriptors": descriptors,
        "other_examples": other_examples,
    }


def main():
    codes = []
    for code in sorted(COUNTRY_CODE_TO_REGION_CODE):
        regions = []
        for region_id in COUNTRY_CODE_TO_REGION_CODE[code]:
            if region_id == "001":
                meta = PhoneMetadata.metadata_for_nongeo_region(code)
            else:
                meta = PhoneMetadata.metadata_for_region(region_id)
            if meta is None:
                sys.exit(f"no metadata for {region_id} (+{code})")
            regions.append(region(code, region_id, meta))
        codes.append({"code": code, "regions": regions})
    document = {"source": "phonenumbers", "version": phonenumbers.__version__, "codes": codes}
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        json.dump(document, out, indent=1, sort_keys=True)
        out.write("\n")


if __name__ == "__main__":
    main()
