//! `kaleyra number update`: validate locally, then send one PUT (to the API or the sandbox).

use std::io::Write;

use kaleyra_model::{AddNumberRequest, Field, UpdateNumberRequest};
use kaleyra_transport::{Error, Updated};
use kaleyra_validate::{ValidatedUpdate, validate_update};

use crate::cli::{Output, UpdateArgs};
use crate::commands::number_add::{dry_run, profile_flags, report_error};
use crate::error::{CliError, Outcome};
use crate::printable::printable;
use crate::{input, render, runtime, sandbox};

pub fn run(args: &UpdateArgs, output: Output) -> Result<Outcome, CliError> {
    let (name, mut request) = match &args.from {
        Some(path) => {
            let source = input::read(Some(path))?;
            let request = input::parse_update(&source)?;
            (source.name, request)
        }
        None => ("request".to_owned(), UpdateNumberRequest::default()),
    };
    let fields = &args.fields;
    let flags = [(Field::WaNumber, &fields.wa_number), (Field::About, &fields.about)];
    for (field, value) in flags.into_iter().chain(profile_flags(&fields.profile)) {
        if let Some(value) = value {
            request.set(field, Some(value.clone()));
        }
    }
    if args.normalize
        && let Some(number) = request.wa_number.as_deref()
    {
        request.wa_number = Some(kaleyra_validate::suggest::e164_form(number));
    }
    render::unknown_keys(&name, &request.extra, &Field::UPDATE)?;
    let valid = match validate_update(&request) {
        Ok(valid) => valid,
        Err(rejection) => {
            render::rejection(&mut std::io::stdout().lock(), &name, &rejection, output)?;
            return Ok(Outcome::Rejected);
        }
    };
    runtime::build()?.block_on(send(args, &valid, output))
}

async fn send(
    args: &UpdateArgs,
    valid: &ValidatedUpdate,
    output: Output,
) -> Result<Outcome, CliError> {
    let (builder, sandbox) = sandbox::or_account(args.sandbox, &args.connection).await?;
    let client = builder.build()?;
    let outcome = if args.dry_run {
        dry_run(&client.prepare_update(valid), output)
    } else {
        if sandbox.is_some() {
            // A fresh sandbox holds no number: register this one, so that there is a record
            // to update.
            let add = AddNumberRequest::new("Sandbox", valid.wa_number());
            let created = match kaleyra_validate::validate(&add) {
                Ok(add) => client.add_number(&add).await.map(|_| ()),
                Err(_) => Ok(()),
            };
            if let Err(error) = created {
                return report(Err(error), output);
            }
            if output == Output::Text {
                let mut err = std::io::stderr().lock();
                writeln!(
                    err,
                    "sandbox: registered {} first, to have a record to update",
                    printable(valid.wa_number())
                )?;
            }
        }
        let result = client.update_number(valid).await;
        report(result, output)
    };
    if let Some(emulator) = sandbox {
        emulator.shutdown().await;
    }
    outcome
}

fn report(result: Result<Updated, Error>, output: Output) -> Result<Outcome, CliError> {
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let updated = match result {
        Ok(updated) => updated,
        Err(error) => {
            let consequence = if error.may_have_been_created() {
                "the update MAY HAVE BEEN APPLIED: sending the same update again is safe"
            } else {
                "the number was not updated"
            };
            return report_error(&error, consequence, output, &mut out, &mut err);
        }
    };
    match output {
        Output::Json => {
            writeln!(out, "{}", serde_json::to_string(&updated.envelope).unwrap_or_default())?
        }
        Output::Text => match updated.record() {
            Some(record) => {
                writeln!(out, "updated {} (id {})", printable(&record.phone_number), record.id)?;
                let values = [
                    ("name", Some(&record.name)),
                    ("address", record.address.as_ref()),
                    ("incoming_url", record.incoming_url.as_ref()),
                    ("profile_image", record.profile_image.as_ref()),
                    ("description", record.description.as_ref()),
                    ("category", record.category.as_ref()),
                    ("email", record.email.as_ref()),
                    ("website", record.website.first()),
                    ("about", record.about.as_ref()),
                ];
                for (key, value) in values {
                    if let Some(value) = value {
                        writeln!(out, "  {key}: {}", printable(value))?;
                    }
                }
            }
            None => writeln!(out, "updated ({})", printable(&updated.envelope.message))?,
        },
    }
    Ok(Outcome::Success)
}
