//! "Did you mean": the closest category or field name to a misspelt one, and the E.164 form
//! of a number written for people.

use kaleyra_model::{AddNumberRequest, Category, Field};

/// The category a misspelt value most likely meant: the closest by edit distance (case and
/// the separators ` `, `_`, `-`, `&` ignored), if it is close enough to be a typo.
pub fn category(value: &str) -> Option<Category> {
    closest(value, Category::ALL.iter().map(|category| (category.as_str(), *category)))
}

/// The field of `fields` (a request's: [`Field::ADD`], [`Field::UPDATE`]) a misspelt CSV column
/// or JSON key most likely meant (`buisness_category`), if it is close enough to be a typo.
pub fn field(name: &str, fields: &[Field]) -> Option<Field> {
    closest(name, fields.iter().map(|field| (field.as_str(), *field)))
}

/// The E.164 form of a number written for people, if that is what it is: spaces, dashes, dots
/// and parentheses taken out, a leading international `00` made `+`, and the result valid.
/// `None` when nothing was taken out or the result is still no valid number.
pub fn number(value: &str) -> Option<String> {
    let e164 = e164_form(value);
    (e164 != value && kaleyra_phone::check(&e164).is_ok()).then_some(e164)
}

/// `value` with spaces, dashes, dots and parentheses taken out and a leading international
/// `00` made `+` (what an opt-in `--normalize` sends); valid or not.
pub fn e164_form(value: &str) -> String {
    let digits: String =
        value.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}')).collect();
    match digits.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => digits,
    }
}

/// A request's `wa_number`, if it has one, in its [`e164_form`].
pub fn normalize_number(request: &mut AddNumberRequest) {
    if let Some(number) = request.wa_number.as_deref() {
        request.wa_number = Some(e164_form(number));
    }
}

fn closest<T>(value: &str, candidates: impl Iterator<Item = (&'static str, T)>) -> Option<T> {
    let value = folded(value);
    if value.is_empty() {
        return None;
    }
    let (distance, best) = candidates
        .map(|(name, item)| (distance(&value, &folded(name)), item))
        .min_by_key(|(distance, _)| *distance)?;
    // A third of the letters wrong, at most 3: beyond that it is another word, not a typo.
    (distance <= (value.len() / 3).clamp(1, 3)).then_some(best)
}

fn folded(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '&'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Levenshtein distance, with a swap of two neighbours counting as one edit (the commonest
/// typo: `buisness`).
fn distance(a: &[char], b: &[char]) -> usize {
    let mut before: Vec<usize> = Vec::new();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, &x) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, &y) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(x != y);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
            if i > 0 && j > 0 && x == b[j - 1] && a[i - 1] == y {
                current[j + 1] = current[j + 1].min(before[j - 1] + 1);
            }
        }
        before = std::mem::replace(&mut previous, current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_word_and_other_words_find_none() {
        assert_eq!(field("buisness_category", &Field::ADD), Some(Field::BusinessCategory));
        assert_eq!(field("Display Name", &Field::ADD), Some(Field::DisplayName));
        assert_eq!(field("wa_numbr", &Field::ADD), Some(Field::WaNumber));
        assert_eq!(field("crm_id", &Field::ADD), None);
        assert_eq!(field("notes", &Field::ADD), None);
        assert_eq!(field("", &Field::ADD), None);
        assert_eq!(field("abuot", &Field::UPDATE), Some(Field::About));
        assert_eq!(field("abuot", &Field::ADD), None, "not a field of an add");
        assert_eq!(category("educaton"), Some(Category::Education));
        assert_eq!(category("Medical Health"), Some(Category::MedicalAndHealth));
        assert_eq!(category("Cars"), None);
        assert_eq!(category("___"), None);
    }

    #[test]
    fn numbers_written_for_people_get_their_e164_form() {
        assert_eq!(number("+1 (323) 655-0017").as_deref(), Some("+13236550017"));
        assert_eq!(number("+1.323.655.0017").as_deref(), Some("+13236550017"));
        assert_eq!(number("0013236550017").as_deref(), Some("+13236550017"));
        assert_eq!(number("+13236550017"), None, "nothing to take out");
        assert_eq!(number("+1 323"), None, "still no valid number");
        assert_eq!(number("323 655 0017"), None, "no country code: nothing to guess");
    }

    #[test]
    fn distance_counts_edits_and_swaps() {
        let d = |a: &str, b: &str| {
            distance(&a.chars().collect::<Vec<_>>(), &b.chars().collect::<Vec<_>>())
        };
        assert_eq!(d("", ""), 0);
        assert_eq!(d("abc", ""), 3);
        assert_eq!(d("kitten", "sitting"), 3);
        assert_eq!(d("buisness", "business"), 1);
        assert_eq!(d("same", "same"), 0);
    }
}
