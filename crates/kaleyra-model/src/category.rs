//! The 17 business categories of the vendor's list and their canonical spelling.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use crate::generated::Category;

/// For each name length, the categories whose names have it (bit `i`: `Category::ALL[i]`):
/// a value is compared only with names as long as it is, at most three of them.
const BY_LENGTH: [u32; 32] = {
    assert!(Category::ALL.len() <= 32);
    let mut table = [0; 32];
    let mut i = 0;
    while i < Category::ALL.len() {
        // A name of 32 bytes or more stops the build here.
        table[Category::ALL[i].as_str().len()] |= 1 << i;
        i += 1;
    }
    table
};

impl Category {
    /// Exact match ignoring ASCII case; no trimming, no other folding.
    pub fn parse(value: &str) -> Option<Category> {
        let mut candidates = BY_LENGTH.get(value.len()).copied().unwrap_or(0);
        while candidates != 0 {
            let category = Category::ALL.get(candidates.trailing_zeros() as usize).copied()?;
            if category.as_str().eq_ignore_ascii_case(value) {
                return Some(category);
            }
            candidates &= candidates - 1;
        }
        None
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The value given is none of the 17 categories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCategory(pub String);

impl fmt::Display for UnknownCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown business category {:?}", self.0)
    }
}

impl std::error::Error for UnknownCategory {}

impl FromStr for Category {
    type Err = UnknownCategory;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Category::parse(value).ok_or_else(|| UnknownCategory(value.to_owned()))
    }
}

impl Serialize for Category {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Category {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Category::parse(&value).ok_or_else(|| {
            serde::de::Error::custom(format_args!("unknown business category {value:?}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_names_are_the_vendor_list() {
        let names: Vec<_> = Category::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            names.join(","),
            "Automotive,Beauty, Spa, and Salon,Clothing and Apparel,Education,Entertainment,\
             Event Planning and Service,Finance and Banking,Food and Grocery,Public Service,\
             Hotel and Lodging,Medical and Health,Non-profit,Professional Services,\
             Shopping and Retail,Travel and Transportation,Restaurant,Other"
        );
    }

    #[test]
    fn parsing_ignores_case_but_nothing_else() {
        assert_eq!(Category::parse("NON-PROFIT"), Some(Category::NonProfit));
        assert_eq!(Category::parse("beauty, spa, and salon"), Some(Category::BeautySpaAndSalon));
        assert_eq!(Category::parse(" Education"), None);
        assert_eq!(Category::parse("Nonprofit"), None);
        assert_eq!(Category::parse("Beauty, Spa and Salon"), None);
        assert_eq!(Category::parse(""), None);
    }

    #[test]
    fn serde_uses_the_canonical_spelling() {
        let json = serde_json::to_string(&Category::FoodAndGrocery).unwrap();
        assert_eq!(json, r#""Food and Grocery""#);
        let back: Category = serde_json::from_str(r#""food AND grocery""#).unwrap();
        assert_eq!(back, Category::FoodAndGrocery);
        assert!(serde_json::from_str::<Category>(r#""Groceries""#).is_err());
    }

    proptest::proptest! {
        /// The same answer as comparing with every name in turn, for names, near names and
        /// anything else.
        #[test]
        fn parse_is_the_search_over_every_name(value in "[A-Za-z ,-]{0,30}|(?i:medical and healt[hs]|non-profit|other)") {
            let linear = Category::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(&value));
            proptest::prop_assert_eq!(Category::parse(&value), linear);
        }

        #[test]
        fn any_casing_parses_to_the_same_category(index in 0usize..17, flips in proptest::collection::vec(proptest::bool::ANY, 40)) {
            let category = Category::ALL[index];
            let cased: String = category
                .as_str()
                .chars()
                .zip(flips.iter().cycle())
                .map(|(c, upper)| if *upper { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
                .collect();
            proptest::prop_assert_eq!(Category::parse(&cased), Some(category));
            proptest::prop_assert_eq!(cased.parse::<Category>().map(|c| c.to_string()), Ok(category.as_str().to_owned()));
        }
    }
}
