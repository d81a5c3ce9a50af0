//! Full-text indexing: the tokenizer a `text` payload index declares, and its token → offsets
//! posting lists.
//!
//! A [`TextAnalyzer`] is built once from an index's params and turns strings into tokens as
//! Qdrant does: split (on non-alphanumerics for `word` and `prefix`, on whitespace for
//! `whitespace`), fold to ASCII if asked, lowercase (default on), drop stopwords, then drop tokens
//! outside `min_token_len`..`max_token_len` characters. A `prefix` index stores every prefix of a
//! word within those lengths, and a query word is cut to `max_token_len` and looked up whole.
//!
//! With a text index, `match` conditions mean (the evaluator asks [`TextAnalyzer::matches`]):
//! `text` — every query token is a token of the value; `text_any` — some query token is;
//! `phrase` — the value's tokens contain the phrase's tokens consecutively, only on an index
//! with `phrase_matching: true` (elsewhere nothing matches). A query with no tokens matches
//! nothing.
//!
//! Approximations (the params are kept and shown as given): `multilingual` splits like `word`
//! (no dictionary segmentation of CJK or Thai scripts); `stemmer` is accepted and not applied;
//! `stopwords` knows the English list and custom words, other languages add nothing.
//! `ascii_folding` folds the Latin-1 and Latin Extended-A letters.
//!
//! [`TextIndex`] keeps, per token, the offsets whose values hold it. Like every payload index it
//! only grows, so it answers with a superset: intersection of the query tokens' lists for `text`
//! and `phrase`, their union for `text_any`; the evaluator then checks each offset.

use std::collections::{HashMap, HashSet};

use crate::model::filter::Match;
use crate::model::payload_index::{Stopwords, TextIndexParams, TokenizerType};

/// How one text index turns strings into tokens.
#[derive(Clone, Debug)]
pub struct TextAnalyzer {
    tokenizer: TokenizerType,
    lowercase: bool,
    ascii_folding: bool,
    min_len: Option<usize>,
    max_len: Option<usize>,
    stopwords: HashSet<String>,
    phrase_matching: bool,
}

impl TextAnalyzer {
    /// The analyzer of an index declared with `params` (`None`: a bare `"text"` schema).
    pub fn new(params: Option<&TextIndexParams>) -> Self {
        let default = TextIndexParams::default();
        let p = params.unwrap_or(&default);
        let lowercase = p.lowercase.unwrap_or(true);
        let mut stopwords = HashSet::new();
        let mut add_language = |language: &str| {
            if language.eq_ignore_ascii_case("english") || language.eq_ignore_ascii_case("en") {
                stopwords.extend(ENGLISH_STOPWORDS.iter().map(|w| w.to_string()));
            }
        };
        let mut custom: Vec<&String> = Vec::new();
        match &p.stopwords {
            None => {}
            Some(Stopwords::Language(language)) => add_language(language),
            Some(Stopwords::Set {
                languages,
                custom: words,
            }) => {
                languages.iter().flatten().for_each(|l| add_language(l));
                custom.extend(words.iter().flatten());
            }
        }
        for word in custom {
            stopwords.insert(if lowercase {
                word.to_lowercase()
            } else {
                word.clone()
            });
        }
        TextAnalyzer {
            tokenizer: p.tokenizer,
            lowercase,
            ascii_folding: p.ascii_folding.unwrap_or(false),
            min_len: p.min_token_len.map(|n| n as usize),
            max_len: p.max_token_len.map(|n| n as usize),
            stopwords,
            phrase_matching: p.phrase_matching.unwrap_or(false),
        }
    }

    fn words<'t>(&self, text: &'t str) -> Box<dyn Iterator<Item = &'t str> + 't> {
        match self.tokenizer {
            TokenizerType::Whitespace => Box::new(text.split_whitespace()),
            TokenizerType::Word | TokenizerType::Prefix | TokenizerType::Multilingual => Box::new(
                text.split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty()),
            ),
        }
    }

    /// Folding and lowercasing, the steps every token goes through first.
    fn normalise(&self, word: &str) -> String {
        let folded = if self.ascii_folding {
            word.chars().map(fold_char).collect::<String>()
        } else {
            word.to_string()
        };
        if self.lowercase {
            folded.to_lowercase()
        } else {
            folded
        }
    }

    fn too_short(&self, token: &str) -> bool {
        self.min_len.is_some_and(|min| token.chars().count() < min)
    }

    fn too_long(&self, token: &str) -> bool {
        self.max_len.is_some_and(|max| token.chars().count() > max)
    }

    /// The tokens a stored value is indexed under, in text order (a `prefix` index lists each
    /// word's prefixes, shortest first).
    pub fn document_tokens(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for word in self.words(text) {
            let token = self.normalise(word);
            if self.stopwords.contains(&token) {
                continue;
            }
            if self.tokenizer == TokenizerType::Prefix {
                if self.too_short(&token) {
                    continue;
                }
                let chars = token.chars().count();
                let shortest = self.min_len.unwrap_or(1).max(1);
                let longest = self.max_len.unwrap_or(usize::MAX).min(chars);
                for n in shortest..=longest {
                    out.push(token.chars().take(n).collect());
                }
            } else if !self.too_short(&token) && !self.too_long(&token) {
                out.push(token);
            }
        }
        out
    }

    /// The tokens of a `text` or `text_any` query. A `prefix` index looks up each query word
    /// (cut to `max_token_len`) whole, without dropping stopwords, so a partly typed word finds
    /// the words it begins.
    pub fn query_tokens(&self, text: &str) -> Vec<String> {
        if self.tokenizer != TokenizerType::Prefix {
            return self.document_tokens(text);
        }
        self.words(text)
            .map(|word| self.normalise(word))
            .filter(|token| !self.too_short(token))
            .map(|token| match self.max_len {
                Some(max) => token.chars().take(max).collect(),
                None => token,
            })
            .collect()
    }

    /// Whether a text-kind `match` accepts the stored string under this index's rules; `None`
    /// for other kinds of match.
    pub fn matches(&self, m: &Match, stored: &str) -> Option<bool> {
        Some(match m {
            Match::Text { text } => {
                let wanted = self.query_tokens(text);
                let have: HashSet<String> = self.document_tokens(stored).into_iter().collect();
                !wanted.is_empty() && wanted.iter().all(|t| have.contains(t))
            }
            Match::TextAny { text_any } => {
                let wanted = self.query_tokens(text_any);
                let have: HashSet<String> = self.document_tokens(stored).into_iter().collect();
                wanted.iter().any(|t| have.contains(t))
            }
            Match::Phrase { phrase } => {
                let wanted = self.document_tokens(phrase);
                self.phrase_matching
                    && !wanted.is_empty()
                    && self
                        .document_tokens(stored)
                        .windows(wanted.len())
                        .any(|window| window == wanted.as_slice())
            }
            _ => return None,
        })
    }
}

/// One payload key's full-text index: token → the offsets whose values hold it.
#[derive(Clone, Debug)]
pub struct TextIndex {
    analyzer: TextAnalyzer,
    postings: HashMap<String, Vec<u32>>,
}

impl TextIndex {
    pub fn new(analyzer: TextAnalyzer) -> Self {
        TextIndex {
            analyzer,
            postings: HashMap::new(),
        }
    }

    pub fn analyzer(&self) -> &TextAnalyzer {
        &self.analyzer
    }

    /// Indexes one stored string under `offset`; returns how many tokens it added.
    pub fn add(&mut self, offset: u32, text: &str) -> usize {
        let mut added = 0;
        for token in self.analyzer.document_tokens(text) {
            let list = self.postings.entry(token).or_default();
            if list.last() != Some(&offset) {
                list.push(offset);
                added += 1;
            }
        }
        added
    }

    /// A superset of the offsets a text-kind `match` accepts (sorted, distinct); `None` for
    /// other kinds of match.
    pub fn candidates(&self, m: &Match) -> Option<Vec<u32>> {
        let (tokens, all) = match m {
            Match::Text { text } => (self.analyzer.query_tokens(text), true),
            Match::TextAny { text_any } => (self.analyzer.query_tokens(text_any), false),
            Match::Phrase { phrase } => {
                if !self.analyzer.phrase_matching {
                    return Some(Vec::new());
                }
                (self.analyzer.document_tokens(phrase), true)
            }
            _ => return None,
        };
        let lists = tokens.iter().map(|t| sorted(self.postings.get(t)));
        if !all {
            let mut union: Vec<u32> = lists.flatten().collect();
            union.sort_unstable();
            union.dedup();
            return Some(union);
        }
        let mut lists: Vec<Vec<u32>> = lists.collect();
        if lists.is_empty() {
            return Some(Vec::new());
        }
        // Intersect starting from the shortest list, so the work is bounded by it.
        lists.sort_by_key(Vec::len);
        let mut out = lists[0].clone();
        for list in &lists[1..] {
            out.retain(|o| list.binary_search(o).is_ok());
        }
        Some(out)
    }
}

/// A posting list sorted and without repeats (a payload changed in place lists its offset again
/// after others).
fn sorted(list: Option<&Vec<u32>>) -> Vec<u32> {
    let mut out = list.cloned().unwrap_or_default();
    out.sort_unstable();
    out.dedup();
    out
}

/// ASCII folding of the Latin letters most text uses; other characters are kept.
fn fold_char(c: char) -> char {
    match c {
        'À'..='Å' | 'Ā' | 'Ă' | 'Ą' => 'A',
        'à'..='å' | 'ā' | 'ă' | 'ą' => 'a',
        'Ç' | 'Ć' | 'Ĉ' | 'Ċ' | 'Č' => 'C',
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => 'c',
        'Ď' | 'Đ' | 'Ð' => 'D',
        'ď' | 'đ' | 'ð' => 'd',
        'È'..='Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => 'E',
        'è'..='ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
        'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => 'G',
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
        'Ĥ' | 'Ħ' => 'H',
        'ĥ' | 'ħ' => 'h',
        'Ì'..='Ï' | 'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => 'I',
        'ì'..='ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => 'i',
        'Ĵ' => 'J',
        'ĵ' => 'j',
        'Ķ' => 'K',
        'ķ' => 'k',
        'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' | 'Ł' => 'L',
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => 'l',
        'Ñ' | 'Ń' | 'Ņ' | 'Ň' => 'N',
        'ñ' | 'ń' | 'ņ' | 'ň' => 'n',
        'Ò'..='Ö' | 'Ø' | 'Ō' | 'Ŏ' | 'Ő' => 'O',
        'ò'..='ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => 'o',
        'Ŕ' | 'Ŗ' | 'Ř' => 'R',
        'ŕ' | 'ŗ' | 'ř' => 'r',
        'Ś' | 'Ŝ' | 'Ş' | 'Š' => 'S',
        'ś' | 'ŝ' | 'ş' | 'š' => 's',
        'Ţ' | 'Ť' | 'Ŧ' => 'T',
        'ţ' | 'ť' | 'ŧ' => 't',
        'Ù'..='Ü' | 'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => 'U',
        'ù'..='ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
        'Ŵ' => 'W',
        'ŵ' => 'w',
        'Ý' | 'Ŷ' | 'Ÿ' => 'Y',
        'ý' | 'ÿ' | 'ŷ' => 'y',
        'Ź' | 'Ż' | 'Ž' => 'Z',
        'ź' | 'ż' | 'ž' => 'z',
        other => other,
    }
}

/// The common English stopword list (the one NLTK ships, which Qdrant's English list follows).
const ENGLISH_STOPWORDS: &[&str] = &[
    "i",
    "me",
    "my",
    "myself",
    "we",
    "our",
    "ours",
    "ourselves",
    "you",
    "you're",
    "you've",
    "you'll",
    "you'd",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "he",
    "him",
    "his",
    "himself",
    "she",
    "she's",
    "her",
    "hers",
    "herself",
    "it",
    "it's",
    "its",
    "itself",
    "they",
    "them",
    "their",
    "theirs",
    "themselves",
    "what",
    "which",
    "who",
    "whom",
    "this",
    "that",
    "that'll",
    "these",
    "those",
    "am",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "have",
    "has",
    "had",
    "having",
    "do",
    "does",
    "did",
    "doing",
    "a",
    "an",
    "the",
    "and",
    "but",
    "if",
    "or",
    "because",
    "as",
    "until",
    "while",
    "of",
    "at",
    "by",
    "for",
    "with",
    "about",
    "against",
    "between",
    "into",
    "through",
    "during",
    "before",
    "after",
    "above",
    "below",
    "to",
    "from",
    "up",
    "down",
    "in",
    "out",
    "on",
    "off",
    "over",
    "under",
    "again",
    "further",
    "then",
    "once",
    "here",
    "there",
    "when",
    "where",
    "why",
    "how",
    "all",
    "any",
    "both",
    "each",
    "few",
    "more",
    "most",
    "other",
    "some",
    "such",
    "no",
    "nor",
    "not",
    "only",
    "own",
    "same",
    "so",
    "than",
    "too",
    "very",
    "s",
    "t",
    "can",
    "will",
    "just",
    "don",
    "don't",
    "should",
    "should've",
    "now",
    "d",
    "ll",
    "m",
    "o",
    "re",
    "ve",
    "y",
    "ain",
    "aren",
    "aren't",
    "couldn",
    "couldn't",
    "didn",
    "didn't",
    "doesn",
    "doesn't",
    "hadn",
    "hadn't",
    "hasn",
    "hasn't",
    "haven",
    "haven't",
    "isn",
    "isn't",
    "ma",
    "mightn",
    "mightn't",
    "mustn",
    "mustn't",
    "needn",
    "needn't",
    "shan",
    "shan't",
    "shouldn",
    "shouldn't",
    "wasn",
    "wasn't",
    "weren",
    "weren't",
    "won",
    "won't",
    "wouldn",
    "wouldn't",
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn analyzer(params: serde_json::Value) -> TextAnalyzer {
        let params: TextIndexParams = serde_json::from_value(params).unwrap();
        TextAnalyzer::new(Some(&params))
    }

    fn m(v: serde_json::Value) -> Match {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn word_tokenizer_splits_on_punctuation_and_lowercases() {
        let a = TextAnalyzer::new(None);
        assert_eq!(
            a.document_tokens("Hello, World! x_y"),
            ["hello", "world", "x", "y"]
        );
    }

    #[test]
    fn whitespace_tokenizer_keeps_punctuation() {
        let a = analyzer(json!({"tokenizer": "whitespace", "lowercase": false}));
        assert_eq!(a.document_tokens("Hello, World!"), ["Hello,", "World!"]);
    }

    #[test]
    fn prefix_index_stores_prefixes_and_queries_whole_words() {
        let a = analyzer(json!({"tokenizer": "prefix", "min_token_len": 2, "max_token_len": 4}));
        assert_eq!(a.document_tokens("Hello a"), ["he", "hel", "hell"]);
        assert_eq!(a.query_tokens("hellos he h"), ["hell", "he"]);
        assert_eq!(a.matches(&m(json!({"text": "hel"})), "hello"), Some(true));
        assert_eq!(a.matches(&m(json!({"text": "hex"})), "hello"), Some(false));
    }

    #[test]
    fn token_length_bounds_drop_tokens() {
        let a = analyzer(json!({"min_token_len": 2, "max_token_len": 3}));
        assert_eq!(a.document_tokens("a to the tree"), ["to", "the"]);
    }

    #[test]
    fn stopwords_are_dropped_from_values_and_queries() {
        let a = analyzer(json!({"stopwords": {"languages": ["english"], "custom": ["Quiver"]}}));
        assert_eq!(a.document_tokens("The quiver of arrows"), ["arrows"]);
        // Only stopwords: no query tokens, so nothing matches.
        assert_eq!(
            a.matches(&m(json!({"text": "the"})), "the arrows"),
            Some(false)
        );
    }

    #[test]
    fn ascii_folding_folds_accents() {
        let a = analyzer(json!({"ascii_folding": true}));
        assert_eq!(a.document_tokens("Crème Brûlée"), ["creme", "brulee"]);
    }

    #[test]
    fn text_needs_all_tokens_and_text_any_one() {
        let a = TextAnalyzer::new(None);
        let stored = "the quick brown fox";
        assert_eq!(
            a.matches(&m(json!({"text": "fox QUICK"})), stored),
            Some(true)
        );
        assert_eq!(
            a.matches(&m(json!({"text": "fox dog"})), stored),
            Some(false)
        );
        assert_eq!(a.matches(&m(json!({"text": "qui"})), stored), Some(false));
        assert_eq!(
            a.matches(&m(json!({"text_any": "dog fox"})), stored),
            Some(true)
        );
        assert_eq!(
            a.matches(&m(json!({"text_any": "dog cat"})), stored),
            Some(false)
        );
        assert_eq!(a.matches(&m(json!({"text": " ,"})), stored), Some(false));
        assert_eq!(a.matches(&m(json!({"value": "x"})), stored), None);
    }

    #[test]
    fn phrase_needs_phrase_matching_and_consecutive_tokens() {
        let stored = "the quick brown fox";
        let plain = TextAnalyzer::new(None);
        assert_eq!(
            plain.matches(&m(json!({"phrase": "quick brown"})), stored),
            Some(false)
        );
        let a = analyzer(json!({"phrase_matching": true}));
        assert_eq!(
            a.matches(&m(json!({"phrase": "Quick, brown"})), stored),
            Some(true)
        );
        assert_eq!(
            a.matches(&m(json!({"phrase": "brown quick"})), stored),
            Some(false)
        );
        assert_eq!(
            a.matches(&m(json!({"phrase": "quick fox"})), stored),
            Some(false)
        );
    }

    #[test]
    fn postings_intersect_for_text_and_unite_for_text_any() {
        let mut index = TextIndex::new(analyzer(json!({"phrase_matching": true})));
        index.add(0, "red apple");
        index.add(1, "green apple");
        index.add(2, "red cherry");
        index.add(0, "red apple again");
        assert_eq!(
            index.candidates(&m(json!({"text": "apple red"}))),
            Some(vec![0])
        );
        assert_eq!(
            index.candidates(&m(json!({"text_any": "cherry green"}))),
            Some(vec![1, 2])
        );
        assert_eq!(
            index.candidates(&m(json!({"text": "apple kiwi"}))),
            Some(vec![])
        );
        // Phrase candidates hold every token; order is the evaluator's to check.
        assert_eq!(
            index.candidates(&m(json!({"phrase": "apple red"}))),
            Some(vec![0])
        );
        assert_eq!(index.candidates(&m(json!({"value": "red"}))), None);
    }

    #[test]
    fn phrase_without_phrase_matching_has_no_candidates() {
        let mut index = TextIndex::new(TextAnalyzer::new(None));
        index.add(0, "red apple");
        assert_eq!(
            index.candidates(&m(json!({"phrase": "red apple"}))),
            Some(vec![])
        );
    }
}
