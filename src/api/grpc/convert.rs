//! Proto ⇄ model conversions.
