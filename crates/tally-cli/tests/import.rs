//! CSV imports of households through the `tally` binary: UTF-8 with a BOM and GBK, and a
//! file with bad rows that lists every error and imports nothing.

mod support;

use serde_json::json;
use support::*;

const CSV_EN: &str = "village,head,members,categories,seepage,rating,phone,cadre
150625100201,张三,4,five-guarantee|subsistence,true,D,13800138000,王干部
15062510020101,李四,,,0,,,
";
const CSV_ZH: &str = "村,户主,人口,类别,渗漏区,危房等级,电话,包户干部,备注
150625100201,王小明,3,五保户、低保户,是,C,,刘干部,新户
150625100201,巴特尔,5,,否,A,,,
,,,,,,,,
";

#[test]
fn import_utf8_with_bom_and_gbk() {
    let db = Db::with_units();
    let utf8 = db.dir().join("utf8.csv");
    std::fs::write(&utf8, format!("\u{feff}{CSV_EN}")).unwrap();
    let out = db.ok(&format!("import households {}", utf8.display()));
    assert!(out.contains("imported 2 households"), "{out}");

    let gbk = db.dir().join("gbk.csv");
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(CSV_ZH);
    assert!(
        !unmappable && std::str::from_utf8(&bytes).is_err(),
        "the test file really is GBK"
    );
    std::fs::write(&gbk, &bytes).unwrap();
    let out = db.run(&format!("import households {}", gbk.display()));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success() && stdout.contains("imported 2 households"),
        "{stdout} {stderr}"
    );
    assert!(
        stderr.contains("备注"),
        "the ignored column is mentioned: {stderr}"
    );

    let list = db.json("household list");
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 4);
    let by_head = |h: &str| list.iter().find(|x| x["head"] == h).unwrap();
    let zs = by_head("张三");
    assert_eq!(zs["categories"], json!(["five-guarantee", "subsistence"]));
    assert_eq!(
        (&zs["seepage"], &zs["rating"], &zs["members"]),
        (&json!(true), &json!("D"), &json!(4))
    );
    assert_eq!(by_head("李四")["unit"], HAMLET);
    let wxm = by_head("王小明");
    assert_eq!(wxm["categories"], json!(["five-guarantee", "subsistence"]));
    assert_eq!(
        (&wxm["seepage"], &wxm["cadre"]),
        (&json!(true), &json!("刘干部"))
    );
    assert_eq!(db.heads("--search wxm"), ["王小明"]);
}

#[test]
fn an_import_with_bad_rows_lists_every_error_and_imports_nothing() {
    let db = Db::with_units();
    let file = db.dir().join("bad.csv");
    let text = "村,户主,人口,危房等级
150625100201,张三,4,D
150625100201,李四,四口,C
150625100201,王五,2,B
999,赵六,3,A
";
    std::fs::write(&file, text).unwrap();
    let err = db.fails(1, &format!("import households {}", file.display()));
    assert!(
        err.contains("第 3 行 第 3 列（人口）") && err.contains("line 3, column 3 (members)"),
        "{err}"
    );
    assert!(
        err.contains("第 5 行 第 1 列（村）") && err.contains("line 5, column 1 (village)"),
        "{err}"
    );
    assert!(
        err.contains("2 errors") && err.contains("nothing was imported"),
        "{err}"
    );
    assert_eq!(db.json("household list"), json!([]));

    let binary = db.dir().join("binary.csv");
    std::fs::write(&binary, [0x80u8, 0xff, 0x00, 0xfe]).unwrap();
    let err = db.fails(1, &format!("import households {}", binary.display()));
    assert!(err.contains("GBK"), "{err}");
}
