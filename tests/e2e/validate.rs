//! `adfctl validate` end to end.
