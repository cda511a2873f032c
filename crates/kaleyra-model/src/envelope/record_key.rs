//! The keys of a number record: one list, which the reader here and the emulator's writer both
//! follow.

/// A key of a number record ([`super::NumberRecord`]), in the order the API writes them (the
/// seed's example).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecordKey {
    /// `company_id`
    CompanyId,
    /// `phone_number`
    PhoneNumber,
    /// `country`
    Country,
    /// `iso_code`
    IsoCode,
    /// `status`
    Status,
    /// `description`
    Description,
    /// `address`
    Address,
    /// `email`
    Email,
    /// `name`
    Name,
    /// `website`
    Website,
    /// `incoming_url`
    IncomingUrl,
    /// `category`
    Category,
    /// `profile_image`
    ProfileImage,
    /// `meta_value`
    MetaValue,
    /// `created_by`
    CreatedBy,
    /// `created_at`
    CreatedAt,
    /// `id`
    Id,
    /// `notFirstRequest`
    NotFirstRequest,
    /// `about`: only in the record of a number an update gave an About text (an assumption,
    /// after every key of the seed's example).
    About,
}

impl RecordKey {
    /// Every key, in the API's order.
    pub const ALL: [RecordKey; 19] = [
        RecordKey::CompanyId,
        RecordKey::PhoneNumber,
        RecordKey::Country,
        RecordKey::IsoCode,
        RecordKey::Status,
        RecordKey::Description,
        RecordKey::Address,
        RecordKey::Email,
        RecordKey::Name,
        RecordKey::Website,
        RecordKey::IncomingUrl,
        RecordKey::Category,
        RecordKey::ProfileImage,
        RecordKey::MetaValue,
        RecordKey::CreatedBy,
        RecordKey::CreatedAt,
        RecordKey::Id,
        RecordKey::NotFirstRequest,
        RecordKey::About,
    ];

    /// The key as it appears in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            RecordKey::CompanyId => "company_id",
            RecordKey::PhoneNumber => "phone_number",
            RecordKey::Country => "country",
            RecordKey::IsoCode => "iso_code",
            RecordKey::Status => "status",
            RecordKey::Description => "description",
            RecordKey::Address => "address",
            RecordKey::Email => "email",
            RecordKey::Name => "name",
            RecordKey::Website => "website",
            RecordKey::IncomingUrl => "incoming_url",
            RecordKey::Category => "category",
            RecordKey::ProfileImage => "profile_image",
            RecordKey::MetaValue => "meta_value",
            RecordKey::CreatedBy => "created_by",
            RecordKey::CreatedAt => "created_at",
            RecordKey::Id => "id",
            RecordKey::NotFirstRequest => "notFirstRequest",
            RecordKey::About => "about",
        }
    }
}

/// [`RecordKey::ALL`] as strings, for the reader's table of known keys.
pub(super) const RECORD_KEYS: [&str; RecordKey::ALL.len()] = {
    let mut keys = [""; RecordKey::ALL.len()];
    let mut i = 0;
    while i < keys.len() {
        keys[i] = RecordKey::ALL[i].as_str();
        i += 1;
    }
    keys
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NumberRecord;

    /// The derived writer of the struct (field names, serde renames) writes the same keys in
    /// the same order.
    #[test]
    fn the_struct_serializes_the_keys_in_this_order() {
        let record = NumberRecord { about: Some(String::new()), ..NumberRecord::default() };
        let json = serde_json::to_string(&record).unwrap();
        let at: Vec<usize> =
            RECORD_KEYS.iter().map(|key| json.find(&format!("\"{key}\":")).unwrap()).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{json}");
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value.as_object().unwrap().len(), RECORD_KEYS.len());
    }
}
