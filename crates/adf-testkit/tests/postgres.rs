//! The PostgreSQL launcher: a server of its own, the test user over TCP with its password, and
//! everything gone after drop.

use adf_testkit::Postgres;

#[test]
fn a_server_starts_serves_the_test_user_and_is_removed() {
    let Some(server) = Postgres::start(module_path!()) else {
        return;
    };
    assert_eq!(server.psql("SELECT 1 + 1"), "2");
    assert_eq!(
        server.psql("SELECT current_setting('server_version_num')::int >= 120000"),
        "t"
    );
    server.psql("CREATE TABLE t (a int); INSERT INTO t VALUES (1), (2)");
    assert_eq!(server.psql("SELECT count(*) FROM t"), "2");
    // The test user owns the database; TCP connections need its password.
    assert_eq!(
        server.psql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'adf'"),
        Postgres::USER
    );
    assert!(
        server
            .connection_string()
            .contains(&format!("port={}", server.port()))
    );
    let port = server.port();
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    drop(server);
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the server still listens after drop"
    );
}
