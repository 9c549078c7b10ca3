//! A local ARM-compatible Data Factory server with an embedded SQLite store
