//! Measures one secret fingerprint (`cargo run -p adf-plan --release --example fingerprint_cost`).
//! The numbers quoted in docs/plan-format.md come from here.

use std::time::Instant;

fn main() {
    let salt = [7u8; 16];
    let secrets = [(
        "/properties/typeProperties/connectionString/value",
        "DefaultEndpointsProtocol=https;AccountName=example;AccountKey=not-a-real-key",
    )];
    let runs = 5;
    let start = Instant::now();
    for _ in 0..runs {
        std::hint::black_box(adf_plan::fingerprint::fingerprint(&salt, &secrets));
    }
    let each = start.elapsed() / runs;
    println!(
        "one fingerprint ({} PBKDF2-HMAC-SHA256 rounds): {each:?}",
        adf_plan::fingerprint::ITERATIONS
    );
}
