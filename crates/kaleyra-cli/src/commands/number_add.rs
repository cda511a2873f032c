//! `kaleyra number add`: validate locally, then send one request (to the API or the sandbox).

use std::io::Write;

use kaleyra_model::{AddNumberRequest, Field};
use kaleyra_transport::{Created, Error};
use kaleyra_validate::{ValidatedRequest, validate};

use crate::cli::{AddArgs, FieldArgs, Output, ProfileArgs};
use crate::error::{CliError, Outcome};
use crate::printable::printable;
use crate::{input, render, runtime, sandbox};

pub fn run(args: &AddArgs, output: Output) -> Result<Outcome, CliError> {
    let (name, mut request) = match &args.from {
        Some(path) => {
            let source = input::read(Some(path))?;
            let request = input::parse_request(&source)?;
            (source.name, request)
        }
        None => ("request".to_owned(), AddNumberRequest::default()),
    };
    apply_flags(&mut request, &args.fields);
    if args.normalize {
        kaleyra_validate::suggest::normalize_number(&mut request);
    }
    render::unknown_keys(&name, &request.extra, &Field::ADD)?;
    let valid = match validate(&request) {
        Ok(valid) => valid,
        Err(rejection) => {
            render::rejection(&mut std::io::stdout().lock(), &name, &rejection, output)?;
            return Ok(Outcome::Rejected);
        }
    };
    runtime::build()?.block_on(send(args, &valid, output))
}

fn apply_flags(request: &mut AddNumberRequest, fields: &FieldArgs) {
    let flags = [(Field::DisplayName, &fields.display_name), (Field::WaNumber, &fields.wa_number)];
    for (field, value) in flags.into_iter().chain(profile_flags(&fields.profile)) {
        if let Some(value) = value {
            request.set(field, Some(value.clone()));
        }
    }
}

/// The flags of the fields an add and an update share, with their fields.
pub(crate) fn profile_flags(profile: &ProfileArgs) -> [(Field, &Option<String>); 7] {
    [
        (Field::Address, &profile.address),
        (Field::IncomingUrl, &profile.incoming_url),
        (Field::DisplayImage, &profile.display_image),
        (Field::BusinessDescription, &profile.business_description),
        (Field::BusinessCategory, &profile.business_category),
        (Field::ContactEmail, &profile.contact_email),
        (Field::Website, &profile.website),
    ]
}

async fn send(
    args: &AddArgs,
    valid: &ValidatedRequest,
    output: Output,
) -> Result<Outcome, CliError> {
    let (builder, sandbox) = sandbox::or_account(args.sandbox, &args.connection).await?;
    let client = builder.build()?;
    let outcome = if args.dry_run {
        dry_run(&client.prepare(valid), output)
    } else {
        let result = client.add_number(valid).await;
        report(result, output)
    };
    if let Some(emulator) = sandbox {
        emulator.shutdown().await;
    }
    outcome
}

/// `--dry-run`: the request, as HTTP text or as JSON.
pub(crate) fn dry_run(
    prepared: &kaleyra_transport::PreparedRequest,
    output: Output,
) -> Result<Outcome, CliError> {
    let mut out = std::io::stdout().lock();
    match output {
        Output::Text => writeln!(out, "{prepared}")?,
        Output::Json => {
            // The body as JSON, not a string of it; the headers as `[name, value]` pairs in the
            // order they are sent, key masked.
            let body: serde_json::Value = serde_json::from_str(prepared.body()).unwrap_or_default();
            let json = serde_json::json!({
                "method": prepared.method().as_str(),
                "url": prepared.uri().to_string(),
                "headers": prepared.masked_headers(),
                "body": body,
            });
            writeln!(out, "{json}")?;
        }
    }
    Ok(Outcome::Success)
}

fn report(result: Result<Created, Error>, output: Output) -> Result<Outcome, CliError> {
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let created = match result {
        Ok(created) => created,
        Err(error) => {
            let consequence = if error.may_have_been_created() {
                "the number MAY HAVE BEEN CREATED: check before sending it again (a second \
                 create of an existing number is rejected as a duplicate)"
            } else if error.is_duplicate() {
                "the number already exists for this account"
            } else {
                "the number was not created"
            };
            return report_error(&error, consequence, output, &mut out, &mut err);
        }
    };
    match output {
        Output::Json => {
            writeln!(out, "{}", serde_json::to_string(&created.envelope).unwrap_or_default())?
        }
        Output::Text => match created.record() {
            Some(record) => {
                writeln!(
                    out,
                    "created {} (id {}, status {})",
                    printable(&record.phone_number),
                    record.id,
                    record.status
                )?;
                writeln!(out, "  name: {}", printable(&record.name))?;
                if let Some(category) = &record.category {
                    writeln!(out, "  category: {}", printable(category))?;
                }
                if !record.iso_code.is_empty() {
                    writeln!(out, "  iso_code: {}", printable(&record.iso_code))?;
                }
                writeln!(out, "  created_at: {}", render::rfc3339(record.created_at))?;
            }
            None => writeln!(out, "created ({})", printable(&created.envelope.message))?,
        },
    }
    Ok(Outcome::Success)
}

/// A failed call: the envelope (or the error) on stdout for `-o json`, the error and what it
/// means for the number (`consequence`) on stderr.
pub(crate) fn report_error(
    error: &Error,
    consequence: &str,
    output: Output,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<Outcome, CliError> {
    let outcome = match error {
        Error::Rejected { .. } => Outcome::Rejected,
        Error::Authentication { .. } => Outcome::AuthenticationFailed,
        _ => Outcome::TransportFailure,
    };
    match (output, error.envelope()) {
        (Output::Json, Some(envelope)) => writeln!(out, "{}", envelope.to_json())?,
        (Output::Json, None) => {
            let json = serde_json::json!({
                "error": error.to_string(),
                "may_have_been_created": error.may_have_been_created(),
            });
            writeln!(out, "{json}")?;
        }
        (Output::Text, _) => {}
    }
    writeln!(err, "error: {}", printable(&error.to_string()))?;
    writeln!(err, "{consequence}")?;
    Ok(outcome)
}
