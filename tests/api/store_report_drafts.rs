//! The store's behaviour with the files of reports still being answered, on SQLite and
//! PostgreSQL alike: kept by id with their content intact, read back in the order asked (what
//! is not kept is left out), deleted by id, and purged by age.

use crate::helpers::{fresh_database_url, Backend};
use crate::on_both_backends;
use beacon::store::{self, DraftFile};

fn draft_file(id: &str, content: &[u8], created_at: i64) -> DraftFile {
    DraftFile {
        id: id.to_owned(),
        name: format!("{id}.jpg"),
        content_type: "image/jpeg".to_owned(),
        size: content.len() as i64,
        content: content.to_vec(),
        sha256: format!("digest of {id}"),
        created_at,
    }
}

on_both_backends!(
    draft_files_are_kept_read_by_id_deleted_and_purged_by_age,
    draft_files
);
async fn draft_files(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(backend, dir.path()).await;
    let store = store::connect(&url).await.unwrap();
    // Every byte value, to show the content comes back unchanged.
    let binary: Vec<u8> = (0..=255).collect();
    let old = draft_file("old", &binary, 1_000);
    let new = draft_file("new", b"\xFF\xD8\xFF\x00a photo", 90_000);
    let other = draft_file("other", b"another", 90_000);
    for file in [&old, &new, &other] {
        store.save_draft_file(file).await.unwrap();
    }
    // The same id twice is refused.
    assert!(store.save_draft_file(&old).await.is_err());

    let ids = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    let found = store
        .draft_files(&ids(&["new", "missing", "old"]))
        .await
        .unwrap();
    assert_eq!(found, vec![new.clone(), old.clone()]);

    assert_eq!(
        store
            .delete_draft_files(&ids(&["other", "missing"]))
            .await
            .unwrap(),
        1
    );
    assert!(store
        .draft_files(&ids(&["other"]))
        .await
        .unwrap()
        .is_empty());

    assert_eq!(store.purge_draft_files(50_000).await.unwrap(), 1);
    assert_eq!(
        store.draft_files(&ids(&["old", "new"])).await.unwrap(),
        vec![new]
    );
}
