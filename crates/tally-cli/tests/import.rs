//! CSV imports of households through the `tally` binary: UTF-8 with a BOM and GBK, the
//! village by code or by name (a name two villages share is refused), and files with bad
//! rows that list their errors (the first 50, then the count) and import nothing.

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

/// The seeded units, a second township, and a village named 新村 under each township.
fn with_two_villages_named_xincun() -> Db {
    let db = Db::with_units();
    for add in [
        "--code 150625101 --name 独贵塔拉镇 --level township --parent 150625",
        "--code 150625100203 --name 新村 --level village --parent 150625100",
        "--code 150625101201 --name 新村 --level village --parent 150625101",
    ] {
        db.ok(&format!("unit add {add}"));
    }
    db
}

fn write(db: &Db, name: &str, text: &str) -> String {
    let file = db.dir().join(name);
    std::fs::write(&file, text).unwrap();
    file.display().to_string()
}

/// Head → unit code of every stored household.
fn units_by_head(db: &Db) -> Vec<(String, String)> {
    let list = db.json("household list");
    let mut rows: Vec<(String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let s = |k: &str| h[k].as_str().unwrap().to_string();
            (s("head"), s("unit"))
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn villages_and_hamlets_are_found_by_name_as_well_as_by_code() {
    let db = with_two_villages_named_xincun();
    let mut text =
        String::from("村,户主,人口\n阿斯尔嘎查,张三,4\n 一社 ,李四,2\n150625101201,王五,3\n");
    // Many lines naming the same village: the name is looked up in an index, not per line.
    for i in 0..300 {
        text.push_str(&format!("阿斯尔嘎查,户主{i:03},1\n"));
    }
    let file = write(&db, "names.csv", &text);
    let out = db.ok(&format!("import households {file}"));
    assert!(out.contains("imported 303 households"), "{out}");
    let units = units_by_head(&db);
    assert_eq!(units.len(), 303);
    let unit_of = |head: &str| units.iter().find(|(h, _)| h == head).unwrap().1.clone();
    assert_eq!(unit_of("张三"), VILLAGE);
    assert_eq!(unit_of("李四"), HAMLET);
    assert_eq!(unit_of("王五"), "150625101201");
    assert_eq!(unit_of("户主299"), VILLAGE);
}

#[test]
fn a_name_two_villages_share_is_refused_naming_both_and_nothing_is_stored() {
    let db = with_two_villages_named_xincun();
    let file = write(&db, "xincun.csv", "村,户主\n阿斯尔嘎查,张三\n新村,李四\n");
    let err = db.fails(1, &format!("import households {file}"));
    for part in [
        "第 3 行 第 1 列（村）",
        "村“新村”有 2 个：150625100203 新村（锡尼镇）、150625101201 新村（独贵塔拉镇）；请填写村代码",
        "line 3, column 1 (village)",
        "150625100203 新村 (锡尼镇), 150625101201 新村 (独贵塔拉镇); give the village code",
        "1 error in the file, nothing was imported",
    ] {
        assert!(err.contains(part), "{part:?} in {err}");
    }
    assert_eq!(db.json("household list"), json!([]));

    let file = write(&db, "code.csv", "村,户主\n150625100203,李四\n");
    db.ok(&format!("import households {file}"));
    assert_eq!(
        units_by_head(&db),
        [("李四".to_string(), "150625100203".to_string())]
    );
}

#[test]
fn an_unknown_village_name_or_a_township_is_refused_with_what_was_typed() {
    let db = Db::with_units();
    let file = write(
        &db,
        "unknown.csv",
        "户主,村\n张三,阿斯尔嘎查\n李四,乌兰嘎查\n王五,锡尼镇\n",
    );
    let err = db.fails(1, &format!("import households {file}"));
    for part in [
        "第 3 行 第 2 列（村）: 本机没有代码或名称为“乌兰嘎查”的嘎查村或自然村",
        "line 3, column 2 (village): no village or hamlet on this device has the code or name \"乌兰嘎查\"",
        "第 4 行 第 2 列（村）: “锡尼镇”是苏木镇 150625100 锡尼镇（杭锦旗），不是嘎查村或自然村",
        "a township, not a village or hamlet",
        "2 errors in the file",
    ] {
        assert!(err.contains(part), "{part:?} in {err}");
    }
    assert_eq!(db.json("household list"), json!([]));
}

#[test]
fn a_file_of_120_bad_rows_lists_the_first_50_and_counts_them_all() {
    let db = Db::with_units();
    let mut text = String::from("村,户主,人口\n");
    for i in 0..120 {
        text.push_str(&format!("{VILLAGE},户主{i},many\n"));
    }
    text.push_str(&format!("{VILLAGE},好户,3\n"));
    let file = write(&db, "bad.csv", &text);
    for json_flag in ["", " --json"] {
        let err = db.fails(1, &format!("import households {file}{json_flag}"));
        let listed: Vec<&str> = err.lines().filter(|l| l.starts_with("第 ")).collect();
        assert_eq!(listed.len(), 50, "{err}");
        assert!(listed[0].starts_with("第 2 行 第 3 列（人口）"), "{err}");
        assert!(listed[49].starts_with("第 51 行 "), "{err}");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 52, "50 errors, the count, the reason: {err}");
        assert_eq!(
            lines[50],
            "……另有 70 处错误未列出（共 120 处）/ … and 70 more errors not listed (120 in all)"
        );
        assert!(
            lines[51].contains("120 errors in the file, nothing was imported"),
            "{err}"
        );
        assert_eq!(db.json("household list"), json!([]));
    }
}

/// A roster kept in Excel comes in as it is: the first sheet of an .xlsx, numbers as Excel
/// shows them (members 4, a phone stored as a number keeps its digits); a bad cell is
/// named by its Excel row and column, and nothing is imported; a file that only looks
/// like a workbook is refused in plain words.
#[test]
fn an_excel_roster_is_imported_from_its_first_sheet() {
    use rust_xlsxwriter::Workbook;
    let db = Db::with_units();
    let write = |name: &str, rows: &[&[&str]]| {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                // Numbers as numbers, the way Excel keeps typed digits.
                match cell.parse::<f64>() {
                    Ok(x) => sheet.write_number(r, c, x).map(drop),
                    Err(_) => sheet.write_string(r, c, *cell).map(drop),
                }
                .unwrap();
            }
        }
        let path = db.dir().join(name);
        book.save(&path).unwrap();
        path
    };
    let header: &[&str] = &["村", "户主", "人口", "类别", "危房等级", "电话"];
    let good = write(
        "农户.xlsx",
        &[
            header,
            &["150625100201", "张三", "4", "五保户", "D", "13800138000"],
            &["阿斯尔嘎查", "李四", "2", "", "C", ""],
        ],
    );
    let out = db.ok(&format!("import households {}", good.display()));
    assert!(out.contains("已导入 2 户"), "{out}");
    let listed = db.json("household list");
    let zs = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["head"] == "张三")
        .cloned()
        .unwrap();
    assert_eq!(
        (&zs["members"], &zs["phone"]),
        (&json!(4), &json!("13800138000")),
        "{zs}"
    );

    let bad = write(
        "bad.xlsx",
        &[header, &["150625100201", "王五", "2.5", "", "B", ""]],
    );
    let err = db.fails(1, &format!("import households {}", bad.display()));
    assert!(err.contains("第 2 行 第 3 列（人口）"), "{err}");
    assert_eq!(
        db.json("household list").as_array().unwrap().len(),
        2,
        "nothing more"
    );

    let fake = db.dir().join("fake.xlsx");
    std::fs::write(&fake, b"PK\x03\x04 not really a workbook").unwrap();
    let err = db.fails(1, &format!("import households {}", fake.display()));
    assert!(err.contains("无法读取 Excel 文件"), "{err}");
}

/// The roster imported again after it was edited in Excel updates the households it
/// already brought (same village, head and phone) instead of doubling them; a new line
/// is a new household.
#[test]
fn a_roster_imported_again_updates_instead_of_doubling() {
    let db = Db::with_units();
    let file = db.dir().join("roster.csv");
    std::fs::write(&file, CSV_ZH).unwrap();
    let first = db.json(&format!("import households {}", file.display()));
    assert_eq!(first, json!({"imported": 2, "added": 2, "updated": 0}));
    let edited =
        CSV_ZH.replace("王小明,3,", "王小明,4,") + "150625100201,王小明,2,,否,,13900000000,,\n";
    std::fs::write(&file, edited).unwrap();
    let again = db.json(&format!("import households {}", file.display()));
    assert_eq!(
        again,
        json!({"imported": 3, "added": 1, "updated": 2}),
        "the namesake with a phone is new"
    );
    let list = db.json("household list");
    let heads: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["head"].as_str().unwrap())
        .collect();
    assert_eq!(heads.len(), 3, "{heads:?}");
    let wang = list
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["head"] == "王小明" && h["phone"].is_null())
        .unwrap();
    assert_eq!(wang["members"], json!(4), "updated from the roster");
}

/// A roster with ID numbers: a re-import matches by ID number even when the phone
/// changed; a bad check digit is refused naming the cell. Households entered twice are
/// listed and merged: the duplicate's visits move, its history stays, it is withdrawn.
#[test]
fn id_numbers_match_a_reimport_and_duplicates_are_merged() {
    let db = Db::with_units();
    let file = db.dir().join("roster.csv");
    // 11010519491231002X is a valid number (its check character is X).
    let roster = "村,户主,人口,电话,身份证号\n\
                  150625100201,张三,3,13900000001,11010519491231002x\n";
    std::fs::write(&file, roster).unwrap();
    let first = db.json(&format!("import households {}", file.display()));
    assert_eq!(first, json!({"imported": 1, "added": 1, "updated": 0}));
    let moved_phone = roster
        .replace("13900000001", "13900000002")
        .replace(",3,", ",5,");
    std::fs::write(&file, moved_phone).unwrap();
    let again = db.json(&format!("import households {}", file.display()));
    assert_eq!(again, json!({"imported": 1, "added": 0, "updated": 1}));
    let list = db.json("household list");
    let zs = &list.as_array().unwrap()[0];
    assert_eq!(
        (
            zs["members"].clone(),
            zs["id_number"].clone(),
            zs["phone"].clone()
        ),
        (json!(5), json!("11010519491231002X"), json!("13900000002"))
    );

    std::fs::write(&file, roster.replace("1002x", "10021")).unwrap();
    let bad = db.fails(1, &format!("import households {}", file.display()));
    assert!(
        bad.contains("第 2 行 第 5 列（身份证号）") && bad.contains("校验位"),
        "{bad}"
    );

    // 张三 entered again by hand, with a visit; then merged into the roster's 张三.
    let kept = zs["id"].as_str().unwrap().to_string();
    let twin = id(db.ok(&format!(
        "household add --village {VILLAGE} --head 张三 --rating D --category five-guarantee"
    )));
    db.ok(&format!(
        "visit add --household {twin} --date 2025-06-03 --note 墙体裂缝"
    ));
    let groups = db.json("household duplicates");
    assert_eq!(groups.as_array().unwrap().len(), 1, "{groups}");
    assert_eq!(groups[0]["reason"], "same-head");
    let table = db.ok("household duplicates");
    assert!(table.contains("同村户主同名"), "{table}");
    let itself = db.fails(1, &format!("household merge {kept} {kept}"));
    assert!(itself.contains("不能把一户合并到它自己"), "{itself}");

    let merged = db.json(&format!("household merge {kept} {twin}"));
    assert_eq!(merged["moved"], 1);
    let filled: Vec<&str> = merged["filled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(filled, ["rating", "categories"]);
    let shown = db.ok(&format!("household show {kept}"));
    assert!(shown.contains("墙体裂缝"), "the visit moved: {shown}");
    assert!(shown.contains("五保户"), "{shown}");
    let gone = db.ok(&format!("household show {twin}"));
    assert!(
        gone.contains("合并到") && gone.contains("张三（重复录入，已合并）"),
        "{gone}"
    );
    assert_eq!(db.json("household duplicates"), json!([]));
    assert_eq!(db.json("household list").as_array().unwrap().len(), 1);
    let again = db.fails(1, &format!("household merge {kept} {twin}"));
    assert!(again.contains("已撤销"), "{again}");
}
