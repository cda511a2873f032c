//! The record of a created number, built from the request as the vendor's example shows it, and
//! its success envelope: written as JSON once, straight from the borrowed request. The response
//! carries those bytes and the store keeps a copy of the record's.

use std::ops::Range;

use bytes::Bytes;
use kaleyra_model::{CREATED_MESSAGE, Code, Field};
use kaleyra_validate::ValidatedRef;
use serde::Serialize;

/// `status` of a freshly created number in the vendor's example.
const CREATED_STATUS: i64 = 2;

/// What a record is made of besides the request.
pub(crate) struct Origin<'a> {
    pub(crate) id: u64,
    pub(crate) not_first: bool,
    pub(crate) company_id: &'a str,
    pub(crate) created_by: &'a str,
    pub(crate) now: i64,
}

/// [`kaleyra_model::NumberRecord`], field for field and in its order, borrowed (a test holds the
/// two to the same bytes).
#[derive(Serialize)]
struct Record<'a> {
    company_id: &'a str,
    phone_number: &'a str,
    country: &'a str,
    iso_code: &'a str,
    status: i64,
    description: Option<&'a str>,
    address: Option<&'a str>,
    email: Option<&'a str>,
    name: &'a str,
    website: &'a [&'a str],
    incoming_url: Option<&'a str>,
    category: Option<&'a str>,
    profile_image: Option<&'a str>,
    meta_value: Option<()>,
    created_by: &'a str,
    created_at: i64,
    id: u64,
    #[serde(rename = "notFirstRequest")]
    not_first_request: i64,
}

/// [`kaleyra_model::SuccessEnvelope`] around one record: what comes before and after it.
#[derive(Debug)]
pub(crate) struct Envelope {
    open: String,
}

/// After the record: the end of `data`, the empty `error`.
const CLOSE: &str = "],\"error\":{}}";

impl Envelope {
    pub(crate) fn new() -> Self {
        let head =
            serde_json::json!({ "code": Code::I102, "message": CREATED_MESSAGE }).to_string();
        // `{"code":"I102","message":"..."}` → `{"code":"I102","message":"...","data":[`
        let open = format!("{},\"data\":[", head.strip_suffix('}').unwrap_or(&head));
        Envelope { open }
    }

    /// The success envelope of the record made from `request`, and where the record is in it.
    pub(crate) fn created(
        &self,
        request: &ValidatedRef<'_>,
        origin: &Origin<'_>,
    ) -> (Bytes, Range<usize>) {
        let iso_code = request.iso_code().unwrap_or_default();
        let website = request.get(Field::Website);
        let record = Record {
            company_id: origin.company_id,
            phone_number: request.wa_number(),
            // The vendor fills this from its own number database; the ISO code is what we know.
            country: &iso_code,
            iso_code: &iso_code,
            status: CREATED_STATUS,
            description: request.get(Field::BusinessDescription),
            address: request.get(Field::Address),
            email: request.get(Field::ContactEmail),
            name: request.display_name(),
            website: website.as_slice(),
            incoming_url: request.get(Field::IncomingUrl),
            category: request.get(Field::BusinessCategory),
            profile_image: request.get(Field::DisplayImage),
            meta_value: None,
            created_by: origin.created_by,
            created_at: origin.now,
            id: origin.id,
            not_first_request: i64::from(origin.not_first),
        };
        let mut json = Vec::with_capacity(512);
        json.extend_from_slice(self.open.as_bytes());
        let start = json.len();
        // Strings and numbers only: serialization into memory cannot fail.
        let _ = serde_json::to_writer(&mut json, &record);
        let end = json.len();
        json.extend_from_slice(CLOSE.as_bytes());
        (Bytes::from(json), start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kaleyra_model::{AddNumberRequest, NumberRecord, SuccessEnvelope};

    fn made(request: &AddNumberRequest, not_first: bool) -> (Bytes, Range<usize>) {
        let valid = kaleyra_validate::validate_ref_with(request, &Default::default()).unwrap();
        let origin =
            Origin { id: 7, not_first, company_id: "ZEMU932d", created_by: "HX071US", now: 1700 };
        Envelope::new().created(&valid, &origin)
    }

    /// The bytes are exactly what the model's types serialize to.
    #[test]
    fn the_envelope_and_record_are_the_models_own_serialization() {
        let full = AddNumberRequest::new(" xyz ", "+13236550017")
            .with(Field::Address, "my address")
            .with(Field::BusinessCategory, "medical AND health")
            .with(Field::ContactEmail, "xyz@example.com")
            .with(Field::Website, "https://example.com/a")
            .with(Field::IncomingUrl, "https://example.com/in")
            .with(Field::DisplayImage, "https://example.com/i.png")
            .with(Field::BusinessDescription, "about \"us\"\n");
        let bare = AddNumberRequest::new("x", "+919876543210");
        for (request, not_first) in [(&full, false), (&bare, true)] {
            let (json, range) = made(request, not_first);
            let envelope: SuccessEnvelope = serde_json::from_slice(&json).unwrap();
            assert_eq!(json, serde_json::to_vec(&envelope).unwrap());
            let record: NumberRecord = serde_json::from_slice(&json[range]).unwrap();
            assert_eq!(envelope.data, vec![record.clone()]);
            assert_eq!(record.id, 7);
            assert_eq!(record.not_first_request, i64::from(not_first));
        }
        let (json, _) = made(&full, false);
        let envelope: SuccessEnvelope = serde_json::from_slice(&json).unwrap();
        let record = &envelope.data[0];
        assert_eq!((record.name.as_str(), record.iso_code.as_str()), ("xyz", "US"));
        assert_eq!(record.category.as_deref(), Some("Medical and Health"));
        assert_eq!(record.website, vec!["https://example.com/a".to_owned()]);
        assert_eq!(record.description.as_deref(), Some("about \"us\""));
        assert_eq!(envelope.code, Code::I102);
    }
}
