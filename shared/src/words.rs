//! Search words: how a name, an email or a query becomes the words a search compares.
//!
//! A word is a run of letters and digits, lower-cased and without accents (compatibility
//! decomposition, NFKD, then the combining marks dropped: "Éléonore" → "eleonore", the
//! ligature "ﬁ" → "fi"), cut to [`MAX_WORD_CHARS`]. Everything else (spaces, dots, `@`,
//! hyphens) separates words. A query matches an item when each of its terms is the
//! beginning of one of the item's words ("ele dup" finds "Éléonore Dupont").
//!
//! The store keeps one search item per word (`store/search.rs`), so an item has at most
//! [`MAX_INDEXED_WORDS`]: a write stays a small, fixed number of transaction actions.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::error::ApiError;

/// Longer words are cut (the index's words and the query's terms alike, so a long word
/// typed in full still matches).
pub const MAX_WORD_CHARS: usize = 32;
/// The most words one item is found by: its first distinct words, in the order of its
/// fields (a contact's name, then email, then organization).
pub const MAX_INDEXED_WORDS: usize = 20;
/// The longest query (characters, after trimming).
pub const MAX_QUERY_CHARS: usize = 100;
/// The most terms one query may have.
pub const MAX_QUERY_TERMS: usize = 5;

/// Lower case, accents and other combining marks removed, compatibility characters
/// decomposed (NFKD).
pub fn normalize(text: &str) -> String {
    text.to_lowercase().nfkd().filter(|c| !is_combining_mark(*c)).collect()
}

/// The words of `text`, in order (repeats included), each normalized and cut.
pub fn words(text: &str) -> Vec<String> {
    normalize(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| word.chars().take(MAX_WORD_CHARS).collect())
        .collect()
}

/// The distinct words of several fields, in the order they first appear, at most `max`.
pub fn distinct_words<'a>(fields: impl IntoIterator<Item = &'a str>, max: usize) -> Vec<String> {
    let mut distinct: Vec<String> = Vec::new();
    for word in fields.into_iter().flat_map(words) {
        if distinct.len() == max {
            break;
        }
        if !distinct.contains(&word) {
            distinct.push(word);
        }
    }
    distinct
}

/// An email's words: its local part's and its domain's ("jean.dupont@acme.fr" → jean,
/// dupont, acme, fr).
pub fn email_words(email: &str) -> Vec<String> {
    words(email)
}

/// A parsed search query: one to [`MAX_QUERY_TERMS`] distinct terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    terms: Vec<String>,
}

impl Query {
    /// `?q=`: absent or blank is no search (`None`); otherwise 1 to [`MAX_QUERY_CHARS`]
    /// characters holding at least one letter or digit and at most [`MAX_QUERY_TERMS`]
    /// words. A refusal is a 422 naming `q`.
    pub fn parse(raw: Option<&str>) -> Result<Option<Self>, ApiError> {
        let Some(text) = raw.map(str::trim).filter(|text| !text.is_empty()) else { return Ok(None) };
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(ApiError::Invalid(format!("q: is longer than {MAX_QUERY_CHARS} characters")));
        }
        if text.chars().any(char::is_control) {
            return Err(ApiError::Invalid("q: contains control characters".into()));
        }
        let mut terms: Vec<String> = Vec::new();
        for term in words(text) {
            if !terms.contains(&term) {
                terms.push(term);
            }
        }
        match terms.len() {
            0 => Err(ApiError::Invalid("q: must contain a letter or a digit".into())),
            n if n > MAX_QUERY_TERMS => Err(ApiError::Invalid(format!("q: has more than {MAX_QUERY_TERMS} words"))),
            _ => Ok(Some(Self { terms })),
        }
    }

    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// The term the index is read by: the longest (the most selective, as a rule), the
    /// first of the longest on a tie. The others are checked on each item read.
    pub fn driver(&self) -> &str {
        let longest = self.terms.iter().map(|t| t.chars().count()).max().unwrap_or(0);
        self.terms.iter().find(|t| t.chars().count() == longest).map(String::as_str).unwrap_or_default()
    }

    /// Each term begins one of `words`.
    pub fn matches(&self, words: &[String]) -> bool {
        self.terms.iter().all(|term| words.iter().any(|word| word.starts_with(term.as_str())))
    }

    /// Whether the search item of `word` is the one an item is returned by: the item is
    /// found once per word that begins with the driving term, and the index reads them in
    /// word order, so only the smallest such word returns it (each item once, across pages,
    /// without remembering what was returned).
    pub fn returns_at(&self, word: &str, words: &[String]) -> bool {
        let driver = self.driver();
        word.starts_with(driver)
            && words.iter().filter(|w| w.starts_with(driver)).min().is_some_and(|first| first == word)
            && self.matches(words)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn words_are_lower_case_without_accents() {
        assert_eq!(words("Éléonore DUPONT-Lefèvre"), strings(&["eleonore", "dupont", "lefevre"]));
        assert_eq!(words("Ærøskøbing Çà"), strings(&["ærøskøbing", "ca"]));
        assert_eq!(words("ﬁnance Ⅳ ①"), strings(&["finance", "iv", "1"]));
        assert_eq!(words("İstanbul"), strings(&["istanbul"]));
        assert_eq!(words("北京 Straße"), strings(&["北京", "straße"]));
        assert_eq!(words("  --  "), Vec::<String>::new());
    }

    #[test]
    fn emails_split_at_their_punctuation() {
        assert_eq!(
            email_words("jean.dupont+bills@acme-group.fr"),
            strings(&["jean", "dupont", "bills", "acme", "group", "fr"])
        );
    }

    #[test]
    fn long_words_are_cut_and_fields_give_at_most_the_bound() {
        let long = "a".repeat(50);
        assert_eq!(words(&long), vec!["a".repeat(MAX_WORD_CHARS)]);
        let many = (0..40).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
        let distinct = distinct_words([many.as_str(), "extra"], MAX_INDEXED_WORDS);
        assert_eq!(distinct.len(), MAX_INDEXED_WORDS);
        assert_eq!(distinct[0], "w0");
        assert_eq!(distinct_words(["Anna anna", "ANNA@acme.fr", "Acme"], 10), strings(&["anna", "acme", "fr"]));
    }

    #[test]
    fn queries_are_parsed_and_bounded() {
        assert_eq!(Query::parse(None).unwrap(), None);
        assert_eq!(Query::parse(Some("   ")).unwrap(), None);
        let query = Query::parse(Some(" Élé  DUP élé ")).unwrap().unwrap();
        assert_eq!(query.terms(), strings(&["ele", "dup"]));
        assert_eq!(query.driver(), "ele");
        assert_eq!(Query::parse(Some("jo anderson")).unwrap().unwrap().driver(), "anderson");
        for bad in ["@@ --", "a b c d e f", "x\u{7}y"] {
            assert!(matches!(Query::parse(Some(bad)), Err(ApiError::Invalid(m)) if m.starts_with("q: ")), "{bad:?}");
        }
        let long = "a".repeat(MAX_QUERY_CHARS + 1);
        assert!(Query::parse(Some(&long)).is_err());
        assert!(Query::parse(Some(&"a".repeat(MAX_QUERY_CHARS))).unwrap().is_some());
        // A long word typed in full matches its cut index word.
        let typed = Query::parse(Some(&"b".repeat(60))).unwrap().unwrap();
        assert!(typed.matches(&words(&"b".repeat(70))));
    }

    #[test]
    fn every_term_must_begin_a_word() {
        let item = words("Éléonore Dupont eleonore@acme.fr Acme Holding");
        let q = |text| Query::parse(Some(text)).unwrap().unwrap();
        assert!(q("ele").matches(&item));
        assert!(q("dup ELÉ").matches(&item));
        assert!(q("hold acme").matches(&item));
        assert!(!q("pont").matches(&item), "inside a word, not its beginning");
        assert!(!q("ele smith").matches(&item));
    }

    #[test]
    fn an_item_is_returned_at_its_first_matching_word_only() {
        let item = distinct_words(["Anna Annabelle Anton", "anna@x.fr"], MAX_INDEXED_WORDS);
        let q = Query::parse(Some("an")).unwrap().unwrap();
        let returned: Vec<_> = item.iter().filter(|w| q.returns_at(w, &item)).collect();
        assert_eq!(returned, vec!["anna"]);
        let q = Query::parse(Some("annab")).unwrap().unwrap();
        assert!(q.returns_at("annabelle", &item));
        assert!(!q.returns_at("anna", &item));
        // The other terms must match too.
        let q = Query::parse(Some("ann zed")).unwrap().unwrap();
        assert!(!item.iter().any(|w| q.returns_at(w, &item)));
    }
}
