//! "Did you mean ...?" suggestions.

/// The candidate closest to `word`, if it is close enough to be a likely typo: equal ignoring
/// case, or within an edit distance of about a third of the word's length.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word_lower = word.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let distance = if candidate.to_lowercase() == word_lower {
            0
        } else {
            levenshtein(&word_lower, &candidate.to_lowercase())
        };
        if best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    let length = word.chars().count();
    // At most a third of the word, and never the whole word (`q` is no typo of `p`).
    let limit = (length / 3).max(1).min(length.saturating_sub(1));
    best.filter(|(d, _)| *d <= limit).map(|(_, c)| c)
}

/// A hint suggesting the closest candidate, or listing them when there are few.
pub fn hint(word: &str, candidates: &[&str]) -> Option<String> {
    if let Some(best) = did_you_mean(word, candidates.iter().copied()) {
        return Some(format!("did you mean `{best}`?"));
    }
    if candidates.is_empty() {
        return None;
    }
    if candidates.len() <= 12 {
        let list: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
        return Some(format!("expected one of {}", list.join(", ")));
    }
    None
}

fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Long words are never typos of our short keys; keep the cost bounded.
    if a.len() > 256 || b.len() > 256 {
        return usize::MAX;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            current[j + 1] = (previous[j] + cost)
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_words() {
        let keys = ["linkedServices", "datasets", "pipelines"];
        assert_eq!(did_you_mean("linkedservices", keys), Some("linkedServices"));
        assert_eq!(did_you_mean("pipeline", keys), Some("pipelines"));
        assert_eq!(did_you_mean("dataset", keys), Some("datasets"));
        assert_eq!(did_you_mean("zzz", keys), None);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
    }
}
