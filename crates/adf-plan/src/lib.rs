//! Pure diff and ordering: desired and live state in, a Plan (as data) out, and its renderings
