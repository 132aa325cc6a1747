//! SMS segments: how many parts a text costs (GSM-7 when every character is in the GSM 03.38
//! alphabet, else UCS-2), and names made GSM-7-safe so one accented letter in a customer's name
//! does not turn a whole relayed text into UCS-2 (70 characters a part instead of 160).
//!
//! Transliteration crates (deunicode, any_ascii) carry tables of several hundred KB, most of the
//! edge Worker's wasm budget; a name only needs the Latin letters folded, the rest is dropped.

/// The GSM 03.38 basic alphabet (one septet each), without the escape code.
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                     ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table: an escape septet then the character (two septets each).
const EXTENSION: &str = "^{}\\[~]|€\u{c}";

/// Septets of one character in GSM-7, `None` if it has none.
pub fn septets(c: char) -> Option<usize> {
    if BASIC.contains(c) {
        Some(1)
    } else if EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

pub fn is_gsm7(text: &str) -> bool {
    text.chars().all(|c| septets(c).is_some())
}

/// How many SMS parts `text` is sent as: 160 septets (GSM-7) or 70 UTF-16 units (UCS-2) fit in
/// one; a longer text is split into parts of 153 / 67, never across an escape pair or a
/// surrogate pair.
pub fn segments(text: &str) -> usize {
    let units: Vec<usize> = if is_gsm7(text) {
        text.chars().filter_map(septets).collect()
    } else {
        text.chars().map(char::len_utf16).collect()
    };
    let (single, part) = if is_gsm7(text) { (160, 153) } else { (70, 67) };
    let total: usize = units.iter().sum();
    if total <= single {
        return 1;
    }
    let (mut parts, mut used) = (1, 0);
    for u in units {
        if used + u > part {
            parts += 1;
            used = 0;
        }
        used += u;
    }
    parts
}

/// Latin letters outside GSM-7 and their plain forms (Latin-1 Supplement and Latin Extended-A).
const FOLD_FROM: &str = "ÀÁÂÃÈÊËÌÍÎÏÐÒÓÔÕÙÚÛÝáâãçêëíîïðóôõúûýÿ\
                         ĀāĂăĄąĆćĈĉĊċČčĎďĐđĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĦħĨĩĪīĬĭĮįİıĴĵĶķĸĹĺĻļĽľĿŀŁłŃńŅņŇňŉŊŋ\
                         ŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŦŧŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžſ";
const FOLD_TO: &str = "AAAAEEEIIIIDOOOOUUUYaaaceeiiidooouuyy\
                       AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiJjKkkLlLlLlLlLlNnNnNnnNn\
                       OoOoOoRrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";
/// Letters that fold to two.
const FOLD_PAIRS: [(char, &str); 6] = [
    ('Œ', "OE"),
    ('œ', "oe"),
    ('Ĳ', "IJ"),
    ('ĳ', "ij"),
    ('Þ', "Th"),
    ('þ', "th"),
];

/// `name` in GSM-7 only: Latin letters folded to their plain forms, other characters outside
/// the alphabet dropped, spaces collapsed.
pub fn gsm7_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_whitespace() {
            out.push(' ');
        } else if septets(c) == Some(1) && c != '\n' && c != '\r' {
            out.push(c);
        } else if let Some(i) = FOLD_FROM.chars().position(|f| f == c) {
            out.extend(FOLD_TO.chars().nth(i));
        } else if let Some((_, pair)) = FOLD_PAIRS.iter().find(|(f, _)| *f == c) {
            out.push_str(pair);
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alphabet_has_128_basic_and_10_extension_characters() {
        assert_eq!(BASIC.chars().count(), 127, "128 less the escape code");
        assert_eq!(EXTENSION.chars().count(), 10);
        assert_eq!(FOLD_FROM.chars().count(), FOLD_TO.chars().count());
        assert!(is_gsm7(FOLD_TO));
        assert!(
            !FOLD_FROM.chars().any(|c| septets(c).is_some()),
            "only letters GSM-7 lacks are folded"
        );
    }

    #[test]
    fn gsm7_parts_are_160_then_153() {
        assert_eq!(segments(""), 1);
        assert_eq!(segments(&"a".repeat(160)), 1);
        assert_eq!(segments(&"a".repeat(161)), 2);
        assert_eq!(segments(&"a".repeat(306)), 2);
        assert_eq!(segments(&"a".repeat(307)), 3);
        assert_eq!(segments(&"€".repeat(80)), 1, "extension characters are two septets");
        assert_eq!(segments(&"€".repeat(81)), 2);
        // 152 septets then escape pairs: the first pair moves whole to the second part, so 306
        // septets that would fit two parts need three.
        assert_eq!(segments(&format!("{}{}", "a".repeat(152), "{".repeat(76))), 2);
        assert_eq!(segments(&format!("{}{}", "a".repeat(152), "{".repeat(77))), 3);
    }

    #[test]
    fn one_character_outside_gsm7_makes_it_ucs2() {
        assert_eq!(segments(&format!("{}ë", "a".repeat(69))), 1);
        assert_eq!(segments(&format!("{}ë", "a".repeat(70))), 2);
        assert_eq!(segments(&"李".repeat(134)), 2);
        assert_eq!(segments(&"李".repeat(135)), 3);
        assert_eq!(segments(&"😀".repeat(33)), 1, "a surrogate pair is two units");
        assert_eq!(segments(&"😀".repeat(36)), 2);
    }

    #[test]
    fn names_fold_to_gsm7() {
        assert_eq!(gsm7_name("Zoë Łukasz 李"), "Zoe Lukasz");
        assert_eq!(gsm7_name("  José  Núñez\n"), "José Nuñez", "é and ñ are GSM-7 already");
        assert_eq!(gsm7_name("Œdipe Ægir Þór"), "OEdipe Ægir Thor");
        assert_eq!(
            gsm7_name("Jane {Smith}"),
            "Jane Smith",
            "two-septet characters are dropped"
        );
        assert_eq!(gsm7_name("李"), "");
    }

    proptest::proptest! {
        #[test]
        fn a_folded_name_is_always_gsm7(s in "\\PC{0,40}") {
            let n = gsm7_name(&s);
            proptest::prop_assert!(is_gsm7(&n) && n.chars().all(|c| septets(c) == Some(1)));
        }
    }
}
