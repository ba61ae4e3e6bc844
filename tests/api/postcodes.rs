//! Postcodes: the bundled force-area set, importing ONS Postcode Directory files, and the clear
//! messages a resident gets for postcodes that cannot be used.

use crate::helpers::{fresh_store, Backend};
use beacon::domain::Postcode;
use beacon::services::postcodes::{import_file, load_bundled, locate, LookupError, PlaceProblem};
use std::io::Write;

#[tokio::test]
async fn the_bundled_set_covers_the_force_area() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::helpers::fresh_database_url(Backend::Sqlite, dir.path()).await;
    let store = beacon::store::connect(&url).await.unwrap();
    let loaded = load_bundled(&*store, |_| true).await.unwrap();
    assert!(loaded > 50_000, "{loaded} postcodes");
    for (postcode, district) in [
        ("CB1 1PT", "Cambridge"),
        ("PE1 1HQ", "Peterborough"),
        ("SG8 6DP", "South Cambridgeshire"),
    ] {
        let location = locate(&*store, &Postcode::parse(postcode).unwrap())
            .await
            .unwrap();
        assert_eq!(
            location.district_name.as_deref(),
            Some(district),
            "{postcode}"
        );
    }
}

#[tokio::test]
async fn an_ons_layout_file_imports_with_bad_rows_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = fresh_store(Backend::Sqlite, dir.path()).await;
    let path = dir.path().join("onspd.csv");
    let mut file = std::fs::File::create(&path).unwrap();
    writeln!(
        file,
        "pcd,pcd2,pcds,dointr,doterm,oscty,oslaua,osward,usertype,oseast1m,osnrth1m"
    )
    .unwrap();
    writeln!(
        file,
        "ZZ1 1AA,ZZ1  1AA,ZZ1 1AA,199801,,E99999999,E07000008,E05000001,0,545000,258000"
    )
    .unwrap();
    writeln!(
        file,
        "ZZ1 1AB,ZZ1  1AB,ZZ1 1AB,199801,200512,E99999999,E07000008,E05000001,0,545100,258100"
    )
    .unwrap();
    writeln!(
        file,
        "ZZ1 1AD,ZZ1  1AD,ZZ1 1AD,199801,,E99999999,E99999999,,1,,"
    )
    .unwrap();
    writeln!(file, "NOT A POSTCODE,x,x,199801,,,E07000008,,0,1,1").unwrap();
    writeln!(
        file,
        "ZZ1 1AE,ZZ1  1AE,ZZ1 1AE,199801,,,E07000008,,0,east,1"
    )
    .unwrap();
    drop(file);

    let report = import_file(store.clone(), &path, false).await.unwrap();
    assert_eq!(report.stored, 3);
    assert_eq!(report.rejected, 2);
    assert!(report.rejects[0].contains("line 5"), "{:?}", report.rejects);
    assert!(report.rejects[1].contains("line 6"), "{:?}", report.rejects);

    let at = |pc: &str| Postcode::parse(pc).unwrap();
    let live = locate(&*store, &at("zz11aa")).await.unwrap();
    // Why a postcode is no place; any other failure fails the test.
    let problem = |located: Result<_, LookupError>| match located {
        Err(LookupError::Place(problem)) => problem,
        other => panic!("{other:?}"),
    };
    assert_eq!(live.district_name.as_deref(), Some("Cambridge"));
    assert_eq!(
        problem(locate(&*store, &at("ZZ1 1AB")).await),
        PlaceProblem::Terminated(at("ZZ1 1AB"))
    );
    assert_eq!(
        problem(locate(&*store, &at("ZZ1 1AD")).await),
        PlaceProblem::NoLocation(at("ZZ1 1AD"))
    );
    let unknown = problem(locate(&*store, &at("ZZ9 9ZZ")).await);
    assert_eq!(
        unknown.to_string(),
        "We cannot find the postcode ZZ9 9ZZ: check it, or use another postcode near you"
    );
}

#[tokio::test]
async fn a_file_without_a_postcode_column_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = fresh_store(Backend::Sqlite, dir.path()).await;
    let before = store.postcode_count().await.unwrap();
    let path = dir.path().join("wrong.csv");
    std::fs::write(&path, "name,value\nfoo,1\n").unwrap();
    let error = import_file(store.clone(), &path, false).await.unwrap_err();
    assert!(format!("{error:#}").contains("postcode"), "{error:#}");
    assert_eq!(store.postcode_count().await.unwrap(), before);
}

/// The same file imports the same way on PostgreSQL (COPY, two writers) as on SQLite, including
/// a postcode listed twice (the last wins) and a district field that needs CSV quoting.
#[tokio::test]
async fn imports_match_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("extract.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    writeln!(gz, "postcode,district_code,easting,northing").unwrap();
    for n in 0..45_000 {
        writeln!(
            gz,
            "ZZ{} {}AA,E07000008,{},{}",
            n / 10 % 100,
            n % 10,
            500_000 + n,
            250_000 + n
        )
        .unwrap();
    }
    writeln!(gz, "ZZ1 1ZZ,E07000008,1,1").unwrap();
    writeln!(gz, "ZZ1 1ZZ,E07000012,2,2").unwrap();
    writeln!(gz, "ZZ1 1ZY,\"E07,000\"\"12\",3,3").unwrap();
    gz.finish().unwrap();

    let mut results = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let db_dir = tempfile::tempdir().unwrap();
        let url = crate::helpers::fresh_database_url(backend, db_dir.path()).await;
        let store = beacon::store::connect(&url).await.unwrap();
        let report = import_file(store.clone(), &path, false).await.unwrap();
        let twice = store.find_postcode("ZZ1 1ZZ").await.unwrap().unwrap();
        let quoted = store.find_postcode("ZZ1 1ZY").await.unwrap().unwrap();
        results.push((
            report.stored,
            store.postcode_count().await.unwrap(),
            twice.district_code,
            twice.easting,
            quoted.district_code,
        ));
    }
    assert_eq!(results[0], results[1], "SQLite and PostgreSQL disagree");
    // 45,000 rows name only 1,000 distinct postcodes (the pattern repeats), plus two more.
    assert_eq!(results[0].1, 1_002);
    assert_eq!(results[0].2.as_deref(), Some("E07000012"));
    assert_eq!(results[0].3, Some(2));
    assert_eq!(results[0].4.as_deref(), Some("E07,000\"12"));
}
