//! The record of a created number, built from the request as the vendor's example shows it, and
//! its success envelope: written as JSON once, straight from the borrowed request. The response
//! carries those bytes and the store keeps a copy of the record's.
//!
//! Written in two steps: everything up to the record's `id` before the store admits the
//! creation, the `id` and `notFirstRequest` it decides after, so that the store's lock is held
//! for the admission and the keeping together, once, and never while JSON is written.

use bytes::Bytes;
use kaleyra_model::{CREATED_MESSAGE, Code, Field};
use kaleyra_validate::ValidatedRef;

/// `status` of a freshly created number in the vendor's example.
const CREATED_STATUS: i64 = 2;

/// What a record is made of besides the request and the admission.
pub(crate) struct Origin<'a> {
    pub(crate) company_id: &'a str,
    pub(crate) created_by: &'a str,
    pub(crate) now: i64,
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

    /// The success envelope of the record made from `request`, up to the record's `id`.
    ///
    /// The record is [`kaleyra_model::NumberRecord`] key for key and in its order, written by
    /// hand: the derived writer escaped every key and value a byte at a time, a tenth of a
    /// request's instructions. Tests hold the bytes to the model's own serialization.
    pub(crate) fn begin(&self, request: &ValidatedRef<'_>, origin: &Origin<'_>) -> Created {
        let iso_code = request.iso_code().unwrap_or_default();
        let mut json = Json(Vec::with_capacity(512));
        json.raw(&self.open);
        let record_start = json.0.len();
        json.raw("{\"company_id\":");
        json.string(origin.company_id);
        json.raw(",\"phone_number\":");
        json.string(request.wa_number());
        // The vendor fills `country` from its own number database; the ISO code is what we know.
        json.raw(",\"country\":");
        json.string(iso_code);
        json.raw(",\"iso_code\":");
        json.string(iso_code);
        json.raw(",\"status\":");
        json.integer(CREATED_STATUS);
        json.raw(",\"description\":");
        json.optional(request.get(Field::BusinessDescription));
        json.raw(",\"address\":");
        json.optional(request.get(Field::Address));
        json.raw(",\"email\":");
        json.optional(request.get(Field::ContactEmail));
        json.raw(",\"name\":");
        json.string(request.display_name());
        json.raw(",\"website\":[");
        if let Some(website) = request.get(Field::Website) {
            json.string(website);
        }
        json.raw("],\"incoming_url\":");
        json.optional(request.get(Field::IncomingUrl));
        json.raw(",\"category\":");
        json.optional(request.get(Field::BusinessCategory));
        json.raw(",\"profile_image\":");
        json.optional(request.get(Field::DisplayImage));
        json.raw(",\"meta_value\":null,\"created_by\":");
        json.string(origin.created_by);
        json.raw(",\"created_at\":");
        json.integer(origin.now);
        json.raw(",");
        Created { json, record_start }
    }
}

/// A success envelope written up to its record's `id`.
pub(crate) struct Created {
    json: Json,
    record_start: usize,
}

impl Created {
    /// The record so far: what the store keeps, with the `id` it admits the record under.
    pub(crate) fn record_head(&self) -> &[u8] {
        self.json.0.get(self.record_start..).unwrap_or_default()
    }

    /// The whole envelope, once the store decided the `id` and `notFirstRequest`.
    pub(crate) fn finish(mut self, id: u64, not_first: bool) -> Bytes {
        finish_record(&mut self.json, id, not_first);
        self.json.raw(CLOSE);
        Bytes::from(self.json.0)
    }
}

/// The end of a record after its [`Created::record_head`].
fn finish_record(json: &mut Json, id: u64, not_first: bool) {
    json.raw("\"id\":");
    json.integer(id);
    json.raw(",\"notFirstRequest\":");
    json.integer(i64::from(not_first));
    json.raw("}");
}

/// A record as the store keeps it: its head, and what the admission decided.
#[derive(Debug)]
pub(crate) struct KeptRecord {
    pub(crate) head: Box<[u8]>,
    pub(crate) id: u64,
    pub(crate) not_first: bool,
}

impl KeptRecord {
    /// The record's JSON, byte for byte as it was answered.
    pub(crate) fn json(&self) -> Vec<u8> {
        let mut json = Json(Vec::with_capacity(self.head.len() + 48));
        json.0.extend_from_slice(&self.head);
        finish_record(&mut json, self.id, self.not_first);
        json.0
    }
}

/// JSON written into memory, strings escaped exactly as serde_json escapes them.
struct Json(Vec<u8>);

impl Json {
    fn raw(&mut self, text: &str) {
        self.0.extend_from_slice(text.as_bytes());
    }

    fn string(&mut self, value: &str) {
        kaleyra_model::json::push_string(&mut self.0, value);
    }

    fn optional(&mut self, value: Option<&str>) {
        match value {
            Some(value) => self.string(value),
            None => self.raw("null"),
        }
    }

    fn integer(&mut self, value: impl itoa::Integer) {
        self.raw(itoa::Buffer::new().format(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kaleyra_model::{AddNumberRequest, NumberRecord, SuccessEnvelope};

    /// The response and the record the store keeps, made as the service makes them.
    fn made(
        request: &AddNumberRequest,
        id: u64,
        not_first: bool,
        origin: &Origin<'_>,
    ) -> (Bytes, Vec<u8>) {
        let valid = kaleyra_validate::validate_ref_with(request, &Default::default()).unwrap();
        let created = Envelope::new().begin(&valid, origin);
        let kept = KeptRecord { head: created.record_head().into(), id, not_first };
        (created.finish(id, not_first), kept.json())
    }

    const ORIGIN: Origin<'static> =
        Origin { company_id: "ZEMU932d", created_by: "HX071US", now: 1700 };

    /// Any text (quotes, backslashes, control characters, DEL, non-ASCII, long runs around the
    /// 16-byte chunks) comes out as the model's own serialization: the hand-written writer and
    /// its escaping shortcut agree with serde.
    #[test]
    fn any_text_is_written_as_the_model_writes_it() {
        use proptest::prelude::*;
        let text =
            proptest::string::string_regex("[a-z \"\\\\\u{0}-\u{1f}\u{7f}é€😀]{0,40}").unwrap();
        let fields = proptest::collection::vec(proptest::option::of(text), 7);
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(2_000));
        runner
            .run(&fields, |values| {
                let mut request = AddNumberRequest::new("name", "+13236550017");
                let text_fields = [
                    Field::DisplayName,
                    Field::Address,
                    Field::BusinessDescription,
                    Field::ContactEmail,
                    Field::Website,
                    Field::IncomingUrl,
                    Field::DisplayImage,
                ];
                for (field, value) in text_fields.into_iter().zip(values) {
                    request.set(field, value);
                }
                let rules = kaleyra_validate::Rules::seed_only();
                let Ok(valid) = kaleyra_validate::validate_ref_with(&request, &rules) else {
                    // Only a blank display name or an empty display image is refused.
                    return Ok(());
                };
                let origin = Origin { company_id: "Z\"1", created_by: "HX\u{1}", now: -5 };
                let created = Envelope::new().begin(&valid, &origin);
                let kept =
                    KeptRecord { head: created.record_head().into(), id: 1, not_first: true };
                let json = created.finish(1, true);
                let envelope: SuccessEnvelope = serde_json::from_slice(&json).unwrap();
                prop_assert_eq!(&json[..], &serde_json::to_vec(&envelope).unwrap()[..]);
                prop_assert_eq!(kept.json(), serde_json::to_vec(&envelope.data[0]).unwrap());
                Ok(())
            })
            .unwrap();
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
        for (request, id, not_first) in [(&full, 7, false), (&bare, u64::MAX, true)] {
            let (json, kept) = made(request, id, not_first, &ORIGIN);
            let envelope: SuccessEnvelope = serde_json::from_slice(&json).unwrap();
            assert_eq!(json, serde_json::to_vec(&envelope).unwrap());
            let record: NumberRecord = serde_json::from_slice(&kept).unwrap();
            assert_eq!(envelope.data, vec![record.clone()]);
            assert_eq!(kept, serde_json::to_vec(&record).unwrap());
            assert_eq!(record.id, id);
            assert_eq!(record.not_first_request, i64::from(not_first));
        }
        let (json, _) = made(&full, 7, false, &ORIGIN);
        let envelope: SuccessEnvelope = serde_json::from_slice(&json).unwrap();
        let record = &envelope.data[0];
        assert_eq!((record.name.as_str(), record.iso_code.as_str()), ("xyz", "US"));
        assert_eq!(record.category.as_deref(), Some("Medical and Health"));
        assert_eq!(record.website, vec!["https://example.com/a".to_owned()]);
        assert_eq!(record.description.as_deref(), Some("about \"us\""));
        assert_eq!(envelope.code, Code::I102);
    }
}
