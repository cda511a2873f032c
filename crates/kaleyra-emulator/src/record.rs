//! The record of a created number, built from the request as the vendor's example shows it, and
//! its success envelope: written as JSON once, straight from the borrowed request. The response
//! carries those bytes and the store keeps a copy of the record's.
//!
//! Written in two steps: everything up to the record's `id` before the store admits the
//! creation, the `id` and `notFirstRequest` it decides after, so that the store's lock is held
//! for the admission and the keeping together, once, and never while JSON is written.

use kaleyra_model::{CREATED_MESSAGE, Code, Field, RecordKey};
use kaleyra_validate::ValidatedRef;

/// `status` of a freshly created number in the vendor's example.
const CREATED_STATUS: i64 = 2;

/// [`kaleyra_model::SuccessEnvelope`] around one record: what comes before and after it, and the
/// parts of a record that are the same for every one, written once.
#[derive(Debug)]
pub(crate) struct Envelope {
    /// The envelope up to its record, then the record up to `phone_number`'s value.
    open: Box<[u8]>,
    /// Where the record starts in `open`.
    record_start: usize,
    /// From `meta_value` to `created_at`'s key.
    created_by: Box<[u8]>,
}

/// After the record: the end of `data`, the empty `error`.
const CLOSE: &str = "],\"error\":{}}";

impl Envelope {
    /// Records of the account `company_id`, created by the SID `created_by` (the only one the
    /// emulator authenticates).
    pub(crate) fn new(company_id: &str, created_by: &str) -> Self {
        let head =
            serde_json::json!({ "code": Code::I102, "message": CREATED_MESSAGE }).to_string();
        // `{"code":"I102","message":"..."}` → `{"code":"I102","message":"...","data":[`
        let open = format!("{},\"data\":[", head.strip_suffix('}').unwrap_or(&head));
        let mut open = Json(open.into_bytes());
        let record_start = open.0.len();
        open.raw("{");
        open.key(RecordKey::CompanyId);
        open.string(company_id, false);
        open.next_key(RecordKey::PhoneNumber);
        let mut created = Json(Vec::new());
        created.next_key(RecordKey::MetaValue);
        created.raw("null");
        created.next_key(RecordKey::CreatedBy);
        created.string(created_by, false);
        created.next_key(RecordKey::CreatedAt);
        Envelope { open: open.0.into(), record_start, created_by: created.0.into() }
    }

    /// The success envelope of the record made from `request` at `now`, up to the record's
    /// `id`. `unescaped`: every text of the request is known to need no escaping
    /// ([`crate::request::BorrowedRequest::values_need_no_escaping`]), so it is copied without a look.
    ///
    /// The record is [`kaleyra_model::NumberRecord`] key for key and in its order, written by
    /// hand: the derived writer escaped every key and value a byte at a time, a tenth of a
    /// request's instructions. Tests hold the bytes to the model's own serialization.
    pub(crate) fn begin(&self, request: &ValidatedRef<'_>, unescaped: bool, now: i64) -> Created {
        let iso_code = request.iso_code().unwrap_or_default();
        let mut json = Json(Vec::with_capacity(512));
        json.raw(&self.open);
        json.string(request.wa_number(), unescaped);
        // The vendor fills `country` from its own number database; the ISO code is what we know.
        json.next_key(RecordKey::Country);
        // Two capital letters, or empty (a test in kaleyra-validate holds every region's).
        json.string(iso_code, true);
        json.next_key(RecordKey::IsoCode);
        json.string(iso_code, true);
        json.next_key(RecordKey::Status);
        json.integer(CREATED_STATUS);
        json.next_key(RecordKey::Description);
        json.optional(request.get(Field::BusinessDescription), unescaped);
        json.next_key(RecordKey::Address);
        json.optional(request.get(Field::Address), unescaped);
        json.next_key(RecordKey::Email);
        json.optional(request.get(Field::ContactEmail), unescaped);
        json.next_key(RecordKey::Name);
        json.string(request.display_name(), unescaped);
        json.next_key(RecordKey::Website);
        json.raw("[");
        if let Some(website) = request.get(Field::Website) {
            json.string(website, unescaped);
        }
        json.raw("]");
        json.next_key(RecordKey::IncomingUrl);
        json.optional(request.get(Field::IncomingUrl), unescaped);
        json.next_key(RecordKey::Category);
        // Canonical names, none with a character to escape (a test holds them to it).
        json.optional(request.get(Field::BusinessCategory), true);
        json.next_key(RecordKey::ProfileImage);
        json.optional(request.get(Field::DisplayImage), unescaped);
        json.raw(&self.created_by);
        json.integer(now);
        json.raw(",");
        Created { json, record_start: self.record_start }
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
    pub(crate) fn finish(mut self, id: u64, not_first: bool) -> Vec<u8> {
        finish_record(&mut self.json, id, not_first);
        self.json.raw(CLOSE);
        self.json.0
    }
}

/// The end of a record after its [`Created::record_head`].
fn finish_record(json: &mut Json, id: u64, not_first: bool) {
    json.key(RecordKey::Id);
    json.integer(id);
    json.next_key(RecordKey::NotFirstRequest);
    json.integer(i64::from(not_first));
    json.raw("}");
}

/// A record as the store keeps it.
#[derive(Debug)]
pub(crate) enum KeptRecord {
    /// As created: its head, and what the admission decided.
    Created { head: Box<[u8]>, id: u64, not_first: bool },
    /// As an update left it: the whole record.
    Updated(Box<[u8]>),
}

impl KeptRecord {
    /// The record's JSON, byte for byte as it was last answered.
    pub(crate) fn json(&self) -> Vec<u8> {
        match self {
            KeptRecord::Created { head, id, not_first } => {
                let mut json = Json(Vec::with_capacity(head.len() + 48));
                json.0.extend_from_slice(head);
                finish_record(&mut json, *id, *not_first);
                json.0
            }
            KeptRecord::Updated(record) => record.to_vec(),
        }
    }
}

/// JSON written into memory, strings escaped exactly as serde_json escapes them.
struct Json(Vec<u8>);

impl Json {
    fn raw(&mut self, text: impl AsRef<[u8]>) {
        self.0.extend_from_slice(text.as_ref());
    }

    /// `value` as a JSON string; `unescaped`: known to need no escaping, copied as it is.
    fn string(&mut self, value: &str, unescaped: bool) {
        if unescaped {
            crate::json_text::push_unescaped(&mut self.0, value);
        } else {
            crate::json_text::push_string(&mut self.0, value);
        }
    }

    fn optional(&mut self, value: Option<&str>, unescaped: bool) {
        match value {
            Some(value) => self.string(value, unescaped),
            None => self.raw("null"),
        }
    }

    /// `"key":` (keys are plain ASCII: nothing to escape).
    fn key(&mut self, key: RecordKey) {
        self.raw("\"");
        self.raw(key.as_str());
        self.raw("\":");
    }

    /// `,"key":`
    fn next_key(&mut self, key: RecordKey) {
        self.raw(",");
        self.key(key);
    }

    fn integer(&mut self, value: impl itoa::Integer) {
        self.raw(itoa::Buffer::new().format(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kaleyra_model::{AddNumberRequest, NumberRecord, SuccessEnvelope};

    use crate::request::BorrowedRequest;

    /// The response and the record the store keeps, made as the service makes them: from the
    /// request's JSON body, read as the service reads it.
    fn made(request: &AddNumberRequest, id: u64, not_first: bool) -> (Vec<u8>, Vec<u8>) {
        let body = serde_json::to_string(request).unwrap();
        let borrowed = BorrowedRequest::from_json(body.as_bytes()).unwrap();
        let valid = kaleyra_validate::validate_ref_with(&borrowed, &Default::default()).unwrap();
        let envelope = Envelope::new("ZEMU932d", "HX071US");
        let created = envelope.begin(&valid, borrowed.values_need_no_escaping(), 1700);
        let kept = KeptRecord::Created { head: created.record_head().into(), id, not_first };
        (created.finish(id, not_first), kept.json())
    }

    /// Any text (quotes, backslashes, control characters, DEL, non-ASCII, long runs around the
    /// 16-byte chunks) comes out as the model's own serialization: the hand-written writer, its
    /// escaping shortcut and its copying of values known to need no escaping agree with serde.
    #[test]
    fn any_text_is_written_as_the_model_writes_it() {
        use proptest::prelude::*;
        let special = "[a-z \"\\\\\u{0}-\u{1f}\u{7f}é€😀]{0,40}";
        let unescaped = "[a-z \u{7f}é€😀]{0,40}";
        let text = prop_oneof![
            1 => proptest::string::string_regex(special).unwrap(),
            3 => proptest::string::string_regex(unescaped).unwrap(),
        ];
        let fields = proptest::collection::vec(proptest::option::of(text), 7);
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(2_000));
        let unescaped_requests = std::cell::Cell::new(0);
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
                let body = serde_json::to_string(&request).unwrap();
                let borrowed = BorrowedRequest::from_json(body.as_bytes()).unwrap();
                let rules = kaleyra_validate::Rules::seed_only();
                let Ok(valid) = kaleyra_validate::validate_ref_with(&borrowed, &rules) else {
                    // Only a blank display name or an empty display image is refused.
                    return Ok(());
                };
                let unescaped = borrowed.values_need_no_escaping();
                unescaped_requests.set(unescaped_requests.get() + usize::from(unescaped));
                let created = Envelope::new("Z\"1", "HX\u{1}").begin(&valid, unescaped, -5);
                let kept = KeptRecord::Created {
                    head: created.record_head().into(),
                    id: 1,
                    not_first: true,
                };
                let json = created.finish(1, true);
                let envelope: SuccessEnvelope = serde_json::from_slice(&json).unwrap();
                prop_assert_eq!(&json[..], &serde_json::to_vec(&envelope).unwrap()[..]);
                prop_assert_eq!(kept.json(), serde_json::to_vec(&envelope.data[0]).unwrap());
                Ok(())
            })
            .unwrap();
        assert!(unescaped_requests.get() > 200, "{} unescaped requests", unescaped_requests.get());
    }

    /// The writer copies them without a look.
    #[test]
    fn category_names_need_no_escaping() {
        for name in kaleyra_model::Category::ALL.map(kaleyra_model::Category::as_str) {
            assert_eq!(crate::json_text::unescaped_len(name.as_bytes()), name.len(), "{name}");
        }
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
            let (json, kept) = made(request, id, not_first);
            let envelope: SuccessEnvelope = serde_json::from_slice(&json).unwrap();
            assert_eq!(json, serde_json::to_vec(&envelope).unwrap());
            let record: NumberRecord = serde_json::from_slice(&kept).unwrap();
            assert_eq!(envelope.data, vec![record.clone()]);
            assert_eq!(kept, serde_json::to_vec(&record).unwrap());
            assert_eq!(record.id, id);
            assert_eq!(record.not_first_request, i64::from(not_first));
        }
        let (json, _) = made(&full, 7, false);
        let envelope: SuccessEnvelope = serde_json::from_slice(&json).unwrap();
        let record = &envelope.data[0];
        assert_eq!((record.name.as_str(), record.iso_code.as_str()), ("xyz", "US"));
        assert_eq!(record.category.as_deref(), Some("Medical and Health"));
        assert_eq!(record.website, vec!["https://example.com/a".to_owned()]);
        assert_eq!(record.description.as_deref(), Some("about \"us\""));
        assert_eq!(envelope.code, Code::I102);
    }
}
