use super::*;
use std::io::Write;
use uuid::Uuid;

fn device(n: u128) -> DeviceId {
    DeviceId(Uuid::from_u128(n))
}

fn payload() -> BundlePayload<Box<RawValue>> {
    BundlePayload {
        bundle_id: "b-1".into(),
        device_id: device(7),
        user: "巴特尔".into(),
        created_ms: 1_780_000_000_000,
        cursor: "42".into(),
        changes: vec![RawValue::from_string(r#"{"note":"入户"}"#.into()).unwrap()],
    }
}

const TOKEN: &str = "the-device-token";

fn sealed() -> Vec<u8> {
    seal(Kind::Bundle, &payload(), &key_of_token(TOKEN))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn unpacked(file: &[u8]) -> String {
    let mut s = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut s)
        .unwrap();
    s
}

#[test]
fn a_sealed_bundle_opens_under_its_key_to_what_was_sealed() {
    let file = sealed();
    let read = Sealed::read(&file, Kind::Bundle).unwrap();
    let who: Addressed = read.peek().unwrap();
    assert_eq!(who.device_id, device(7));
    let back: BundlePayload<Box<RawValue>> = read.open(&key_of_token(TOKEN)).unwrap();
    assert_eq!(back.cursor, "42");
    assert_eq!(back.changes[0].get(), r#"{"note":"入户"}"#);
}

#[test]
fn the_servers_token_hash_is_the_devices_key() {
    let hash: String = Sha256::digest(TOKEN.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(key_of_token_hash(&hash), Some(key_of_token(TOKEN)));
    for bad in ["", "abc", &"zz".repeat(32), &"é".repeat(32)] {
        assert_eq!(key_of_token_hash(bad), None, "{bad}");
    }
}

/// Every way a file can be wrong, refused whole with its own code.
#[test]
fn a_changed_cut_foreign_or_wrong_file_is_refused_whole() {
    let file = sealed();
    let text = unpacked(&file);
    let key = key_of_token(TOKEN);
    let open = |bytes: &[u8], kind: Kind, key: &BundleKey| {
        Sealed::read(bytes, kind).and_then(|s| s.open::<BundlePayload<Box<RawValue>>>(key))
    };
    let cases: Vec<(&str, Vec<u8>, Kind, BundleKey, &str)> = vec![
        (
            "a changed value",
            gzip(text.replace("入户", "出户").as_bytes()),
            Kind::Bundle,
            key,
            "bundle_tampered",
        ),
        (
            "another device's key",
            file.clone(),
            Kind::Bundle,
            key_of_token("another-token"),
            "bundle_tampered",
        ),
        (
            "a seal that is not hex",
            gzip(text.replacen("\"mac\":\"", "\"mac\":\"zz", 1).as_bytes()),
            Kind::Bundle,
            key,
            "bundle_tampered",
        ),
        (
            "cut short",
            file[..file.len() - 9].to_vec(),
            Kind::Bundle,
            key,
            "bundle_unreadable",
        ),
        (
            "cut short before packing",
            gzip(&text.as_bytes()[..text.len() / 2]),
            Kind::Bundle,
            key,
            "bundle_unreadable",
        ),
        (
            "not gzip",
            text.clone().into_bytes(),
            Kind::Bundle,
            key,
            "bundle_unreadable",
        ),
        ("empty", vec![], Kind::Bundle, key, "bundle_unreadable"),
        (
            "receipts expected",
            file.clone(),
            Kind::Receipts,
            key,
            "bundle_wrong_kind",
        ),
        (
            "a newer format",
            gzip(text.replace("\"version\":1", "\"version\":2").as_bytes()),
            Kind::Bundle,
            key,
            "bundle_too_new",
        ),
    ];
    for (what, bytes, kind, key, code) in cases {
        let e = open(&bytes, kind, &key).unwrap_err();
        assert_eq!(e.code(), code, "{what}: {e}");
        assert!(!e.zh().is_empty() && !e.en().is_empty());
    }
}

#[test]
fn a_file_that_unpacks_past_the_bound_is_refused() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..=(MAX_BUNDLE_BYTES >> 20) {
        gz.write_all(&zeros).unwrap();
    }
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 4 << 20, "{}", bomb.len());
    let e = Sealed::read(&bomb, Kind::Bundle).err().unwrap();
    assert_eq!(e, BundleError::TooLarge);
}

#[test]
fn a_wrong_kind_names_both_kinds_in_chinese() {
    let e = Sealed::read(&sealed(), Kind::Receipts).err().unwrap();
    assert_eq!(e.zh(), "这是同步包，不是回执文件");
    assert_eq!(e.en(), "this is a bundle, not a receipts file");
}

#[test]
fn a_change_digest_follows_its_content() {
    let change: Change = serde_json::from_str(crate::tests::CHANGE_JSON_FOR_DIGEST).unwrap();
    let mut other = change.clone();
    assert_eq!(change_digest(&change), change_digest(&other));
    other.hlc.count += 1;
    assert_ne!(change_digest(&change), change_digest(&other));
    assert_eq!(change_digest(&change).len(), 64);
}
