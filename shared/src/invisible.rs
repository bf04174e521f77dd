//! Characters a reader cannot see, taken out of names (file, folder, person and company
//! names) when they are parsed, so a name shows what it is.
//!
//! - **Bidi controls** (U+202A–U+202E, U+2066–U+2069, the marks U+200E, U+200F, U+061C)
//!   reorder what is displayed: `invoice\u{202E}fdp.exe` shows as `invoiceexe.pdf`. A file
//!   name is shown inside other text (a listing, a browser's save dialog), where these can
//!   only mislead, so they always go. Names in Arabic or Hebrew still show right to left:
//!   that comes from their letters, not from these controls.
//! - **Invisible characters**: zero-width space, word joiner, BOM, soft hyphen, the invisible
//!   operators, Hangul fillers, the deprecated format characters, language tags and the other
//!   default-ignorable code points of Unicode. None is ever needed in a name; each can make
//!   two names that look the same differ, or hide text. They always go.
//! - **Kept where people's writing needs them**, and removed elsewhere:
//!   - the joiners ZWJ (U+200D) and ZWNJ (U+200C) only between two non-ASCII characters
//!     that are not spaces: emoji sequences (👩‍💻, 🏳️‍🌈), Indic conjuncts (Sinhala ශ්‍රී),
//!     Persian words (می‌خواهم). Next to ASCII, at either end, or doubled, they join nothing
//!     anyone types;
//!   - variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF; Mongolian U+180B–U+180D,
//!     U+180F) right after a visible character that is not a selector itself: emoji
//!     presentation (❤️, keycaps 1️⃣), CJK glyph variants;
//!   - tag characters (U+E0020–U+E007F) only in the run right after 🏴 (U+1F3F4), where
//!     they spell a subdivision flag (🏴󠁧󠁢󠁳󠁣󠁴󠁿, Scotland).
//!
//! What remains can still be confusing (letters of another script that look like Latin:
//! `аpple` with a Cyrillic `а`); that is a display concern, not one these rules can decide.

/// `text` without bidi controls and invisible characters (see the module's rules).
pub fn strip(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut kept = String::with_capacity(text.len());
    let mut last: Option<char> = None;
    for (i, &c) in chars.iter().enumerate() {
        let keep = match class(c) {
            Class::Visible => true,
            Class::Removed => false,
            Class::Joiner => {
                // (An emoji's variation selector may come before its joiner: 🏳️‍🌈.)
                let joinable = |o: char, before: bool| {
                    !o.is_ascii() && !o.is_whitespace() && (is_plain(o) || before && class(o) == Class::Selector)
                };
                last.is_some_and(|l| joinable(l, true)) && chars.get(i + 1).is_some_and(|&n| joinable(n, false))
            }
            Class::Selector => last.is_some_and(|l| is_plain(l) && !l.is_whitespace()),
            Class::Tag => last.is_some_and(|l| l == BLACK_FLAG || class(l) == Class::Tag),
        };
        if keep {
            kept.push(c);
            last = Some(c);
        }
    }
    kept
}

/// Whether `text` holds anything [`strip`] would take out.
pub fn has_any(text: &str) -> bool {
    strip(text).len() != text.len()
}

const BLACK_FLAG: char = '\u{1F3F4}';

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Visible,
    Removed,
    Joiner,
    Selector,
    Tag,
}

/// A character that is neither removed nor conditional (a letter, a mark, an emoji …).
fn is_plain(c: char) -> bool {
    class(c) == Class::Visible
}

fn class(c: char) -> Class {
    match c {
        '\u{200C}' | '\u{200D}' => Class::Joiner,
        '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}' | '\u{180B}'..='\u{180D}' | '\u{180F}' => Class::Selector,
        '\u{E0020}'..='\u{E007F}' => Class::Tag,
        // Bidi controls and marks.
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => Class::Removed,
        // The rest of Unicode's default-ignorable code points, and the interlinear annotation
        // characters (which hide text between them).
        '\u{00AD}'
        | '\u{034F}'
        | '\u{115F}'
        | '\u{1160}'
        | '\u{17B4}'
        | '\u{17B5}'
        | '\u{180E}'
        | '\u{200B}'
        | '\u{2060}'..='\u{2065}'
        | '\u{206A}'..='\u{206F}'
        | '\u{3164}'
        | '\u{FEFF}'
        | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFFB}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E001F}'
        | '\u{E0080}'..='\u{E00FF}'
        | '\u{E01F0}'..='\u{E0FFF}' => Class::Removed,
        _ => Class::Visible,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_controls_and_invisible_characters_go() {
        assert_eq!(strip("invoice\u{202E}fdp.exe"), "invoicefdp.exe");
        assert_eq!(strip("\u{2067}report\u{2069}.pdf"), "report.pdf");
        assert_eq!(strip("a\u{200E}b\u{200F}c\u{061C}d"), "abcd");
        assert_eq!(strip("in\u{200B}voice\u{2060}.pdf\u{FEFF}"), "invoice.pdf");
        assert_eq!(strip("re\u{00AD}port\u{3164}.pdf"), "report.pdf");
        assert_eq!(strip("x\u{E0001}\u{E0065}\u{E006E}y"), "xy", "language tags outside a flag");
        assert_eq!(strip("\u{FFF9}hidden\u{FFFA}shown\u{FFFB}"), "hiddenshown");
        assert!(has_any("a\u{202D}b"));
        assert!(!has_any("Résumé 履歴書 😀.pdf"));
    }

    #[test]
    fn joiners_stay_only_inside_writing_that_needs_them() {
        // Emoji ZWJ sequences.
        for emoji in ["👩\u{200D}💻", "🏳\u{FE0F}\u{200D}🌈", "👨\u{1F3FD}\u{200D}🚀", "👨\u{200D}👩\u{200D}👧"]
        {
            assert_eq!(strip(emoji), emoji);
            assert_eq!(strip(&format!("team {emoji}.png")), format!("team {emoji}.png"));
        }
        // Sinhala "Sri" (a ZWJ after the virama), Persian "I want" (a ZWNJ between letters).
        assert_eq!(strip("ශ්\u{200D}රී"), "ශ්\u{200D}රී");
        assert_eq!(strip("می\u{200C}خواهم"), "می\u{200C}خواهم");
        // Between ASCII letters, at the ends, next to a space, or doubled: removed.
        assert_eq!(strip("inv\u{200D}oice.pdf"), "invoice.pdf");
        assert_eq!(strip("inv\u{200C}oice.pdf"), "invoice.pdf");
        assert_eq!(strip("\u{200D}😀\u{200D}"), "😀");
        assert_eq!(strip("😀\u{200D} 😀"), "😀 😀");
        assert_eq!(strip("😀\u{200D}\u{200D}😀"), "😀\u{200D}😀");
        assert_eq!(strip("😀\u{200B}\u{200D}😀"), "😀\u{200D}😀", "what stays is judged after the rest went");
    }

    #[test]
    fn variation_selectors_and_flag_tags_stay_where_they_belong() {
        assert_eq!(strip("\u{2764}\u{FE0F}"), "\u{2764}\u{FE0F}");
        assert_eq!(strip("1\u{FE0F}\u{20E3}"), "1\u{FE0F}\u{20E3}", "a keycap");
        assert_eq!(strip("\u{8FBB}\u{E0100}"), "\u{8FBB}\u{E0100}", "a CJK glyph variant");
        assert_eq!(strip("\u{FE0F}start"), "start");
        assert_eq!(strip("a \u{FE0F}b"), "a b");
        assert_eq!(strip("a\u{FE0F}\u{FE0F}"), "a\u{FE0F}");
        let scotland = "\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}";
        assert_eq!(strip(scotland), scotland);
        assert_eq!(strip("report\u{E0067}\u{E0062}.pdf"), "report.pdf", "tags smuggling text");
    }
}
