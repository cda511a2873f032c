//! The record of a created number, built from the request as the vendor's example shows it.

use kaleyra_model::{Field, NumberRecord};
use kaleyra_validate::ValidatedRequest;

/// `status` of a freshly created number in the vendor's example.
const CREATED_STATUS: i64 = 2;

pub(crate) fn build(
    request: &ValidatedRequest,
    id: u64,
    not_first: bool,
    company_id: &str,
    created_by: &str,
    now: i64,
) -> NumberRecord {
    let text = |field| request.get(field).map(str::to_owned);
    let iso_code = request.iso_code().unwrap_or_default();
    NumberRecord {
        company_id: company_id.to_owned(),
        phone_number: request.wa_number().to_owned(),
        // The vendor fills this from its own number database; the ISO code is what we know.
        country: iso_code.clone(),
        iso_code,
        status: CREATED_STATUS,
        description: text(Field::BusinessDescription),
        address: text(Field::Address),
        email: text(Field::ContactEmail),
        name: request.display_name().to_owned(),
        website: text(Field::Website).into_iter().collect(),
        incoming_url: text(Field::IncomingUrl),
        category: text(Field::BusinessCategory),
        profile_image: text(Field::DisplayImage),
        meta_value: None,
        created_by: created_by.to_owned(),
        created_at: now,
        id,
        not_first_request: i64::from(not_first),
        extra: Default::default(),
    }
}
