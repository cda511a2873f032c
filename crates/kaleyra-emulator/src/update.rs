//! The update of a number (`PUT` on the create route): the body read with the model's reader
//! (updates are rare: none of the create route's fast paths), the update's rules, and the
//! latest record of the number changed in the store.

use kaleyra_model::{Field, NumberRecord, UpdateNumberRequest};
use kaleyra_validate::ValidatedUpdate;

use crate::error_envelopes::{self, Failure};
use crate::generated;
use crate::state::Shared;

/// The success envelope's JSON with the record as it is now, or the failure to answer.
pub(crate) fn process(shared: &Shared, body: &[u8]) -> Result<Vec<u8>, Failure> {
    let request = UpdateNumberRequest::from_json(body).map_err(|error| {
        let detail = format!("{} at line {} column {}", error.message, error.line, error.column);
        error_envelopes::malformed_body(error.field.as_deref().unwrap_or("body"), &detail)
    })?;
    let valid = kaleyra_validate::validate_update_with(&request, &shared.config.rules)
        .map_err(|rejection| error_envelopes::rejected(&rejection))?;
    let record = shared
        .store()
        .update(valid.wa_number(), |record| apply(record, &valid))
        .ok_or_else(error_envelopes::not_registered)?;
    Ok(envelope(&record))
}

/// Each change on the record key that holds it.
fn apply(record: &mut NumberRecord, update: &ValidatedUpdate) {
    for (field, value) in update.changes() {
        let value = value.to_owned();
        match field {
            Field::Address => record.address = Some(value),
            Field::IncomingUrl => record.incoming_url = Some(value),
            Field::DisplayImage => record.profile_image = Some(value),
            Field::BusinessDescription => record.description = Some(value),
            Field::BusinessCategory => record.category = Some(value),
            Field::ContactEmail => record.email = Some(value),
            Field::Website => record.website = vec![value],
            Field::About => record.about = Some(value),
            // The number names the record; an update takes no display name.
            Field::WaNumber | Field::DisplayName => {}
        }
    }
}

/// `{"code":"I902","message":"Phone Number updated successfully.","data":[record],"error":{}}`:
/// the create's envelope, with a code of ours.
fn envelope(record: &[u8]) -> Vec<u8> {
    let head =
        serde_json::json!({ "code": generated::I902.code, "message": generated::I902.message });
    let head = head.to_string();
    let mut json = Vec::with_capacity(head.len() + record.len() + 24);
    json.extend_from_slice(head.strip_suffix('}').unwrap_or(&head).as_bytes());
    json.extend_from_slice(b",\"data\":[");
    json.extend_from_slice(record);
    json.extend_from_slice(b"],\"error\":{}}");
    json
}

#[cfg(test)]
mod tests {
    use super::*;
    use kaleyra_model::{Code, SuccessEnvelope};

    #[test]
    fn the_envelope_is_the_models_own_serialization() {
        let mut record = NumberRecord::default();
        record.about = Some("Open \"9\"".to_owned());
        let json = envelope(&serde_json::to_vec(&record).unwrap());
        let parsed: SuccessEnvelope = serde_json::from_slice(&json).unwrap();
        assert_eq!(json, serde_json::to_vec(&parsed).unwrap());
        assert_eq!(parsed.code, Code::new("I902"));
        assert_eq!(parsed.message, "Phone Number updated successfully.");
        assert_eq!(parsed.data, vec![record]);
    }

    #[test]
    fn every_field_an_update_takes_lands_on_its_record_key() {
        let mut update = UpdateNumberRequest::new("+13236550017");
        for field in Field::UPDATE {
            if field != Field::WaNumber {
                update.set(field, Some(format!("https://example.com/{}", field.as_str())));
            }
        }
        update.set(Field::BusinessCategory, Some("OTHER".to_owned()));
        update.set(Field::ContactEmail, Some("a@example.com".to_owned()));
        let valid = kaleyra_validate::validate_update(&update).unwrap();
        let mut record = NumberRecord::default();
        apply(&mut record, &valid);
        let url = |name: &str| Some(format!("https://example.com/{name}"));
        assert_eq!(record.address, url("address"));
        assert_eq!(record.incoming_url, url("incoming_url"));
        assert_eq!(record.profile_image, url("display_image"));
        assert_eq!(record.description, url("business_description"));
        assert_eq!(record.category.as_deref(), Some("Other"));
        assert_eq!(record.email.as_deref(), Some("a@example.com"));
        assert_eq!(record.website, vec![url("website").unwrap()]);
        assert_eq!(record.about, url("about"));
        assert_eq!(record.phone_number, "", "the number is not changed");
    }
}
