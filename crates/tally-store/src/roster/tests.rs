//! The roster reader: headers, cells, villages by name, and how problems are listed.

use super::*;
use tally_core::{Level, OrgUnit};

/// Township 9 with village 1 (阿斯尔嘎查) and two villages named 新村 (2 and 3).
fn villages() -> Villages {
    let unit = |code: &str, name: &str, level, parent: Option<&str>| {
        OrgUnit::new(code, name, level, parent)
    };
    Villages::new(vec![
        unit("9", "锡尼镇", Level::Township, None),
        unit("1", "阿斯尔嘎查", Level::Village, Some("9")),
        unit("2", "新村", Level::Village, Some("9")),
        unit("3", "新村", Level::Village, Some("9")),
    ])
}

#[test]
fn utf8_with_bom_and_gbk_decode_to_the_same_text() {
    let text = "村,户主\n150625100201,张三\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    assert_eq!(decode(gbk.as_ref()).unwrap(), text);
    let bom = format!("\u{feff}{text}");
    assert_eq!(decode(bom.as_bytes()).unwrap(), text);
    assert!(decode(&[0xff, 0xff, 0xff]).is_err());
}

#[test]
fn headers_in_either_language_and_all_cell_errors() {
    let text = "Village,HEAD,人口,类别,渗漏区,等级,序号\n\
                1,张三,4,五保户、低保户,是,D,1\n\
                1,李四,four,贫困户,maybe,E,2\n\
                ,,,,,,\n\
                ,王五,,,,,3\n";
    let (cols, _, parsed, errors) = read(text, &villages()).unwrap();
    assert_eq!(parsed.len(), 1);
    assert_eq!(parsed[0].household.members, Some(4));
    assert_eq!(parsed[0].household.categories.len(), 2);
    assert!(parsed[0].household.seepage);
    let at: Vec<(u64, usize)> = errors.iter().map(|e| (e.line, e.column.unwrap())).collect();
    assert_eq!(at, [(3, 3), (3, 4), (3, 5), (3, 6), (5, 1)]);
    let first = errors[0].render();
    assert!(first.starts_with("第 3 行 第 3 列（人口）: "), "{first}");
    assert!(first.contains("/ line 3, column 3 (members): "), "{first}");
    assert_eq!(cols.index(Field::Head), Some(1));
}

#[test]
fn a_missing_or_repeated_column_is_refused() {
    assert!(read("户主,人口\n张三,3\n", &villages()).is_err());
    assert!(read("村,户主,户主姓名\n1,张三,张三\n", &villages()).is_err());
}

#[test]
fn the_village_is_a_code_or_a_name_and_a_shared_name_names_its_candidates() {
    let text = "村,户主\n阿斯尔嘎查,张三\n1,李四\n新村,王五\n无名村,赵六\n锡尼镇,孙七\n";
    let (_, _, parsed, errors) = read(text, &villages()).unwrap();
    let stored: Vec<(&str, &str)> = parsed
        .iter()
        .map(|p| (p.household.head.as_str(), p.household.village.as_str()))
        .collect();
    assert_eq!(stored, [("张三", "1"), ("李四", "1")]);
    let at: Vec<(u64, usize)> = errors.iter().map(|e| (e.line, e.column.unwrap())).collect();
    assert_eq!(at, [(4, 1), (5, 1), (6, 1)]);
    let ambiguous = errors[0].render();
    for part in [
        "2 新村（锡尼镇）、3 新村（锡尼镇）",
        "2 新村 (锡尼镇), 3 新村 (锡尼镇)",
    ] {
        assert!(ambiguous.contains(part), "{ambiguous}");
    }
    assert!(
        errors[1].render().contains("无名村"),
        "{}",
        errors[1].render()
    );
    assert!(
        errors[2].render().contains("township"),
        "{}",
        errors[2].render()
    );
}

#[test]
fn at_most_fifty_errors_are_listed_then_the_count() {
    let error = |line| LineProblem {
        line,
        column: Some(3),
        header_zh: Some("人口".into()),
        header_en: Some("members".into()),
        zh: "人口格式不对".into(),
        en: "members is not a number".into(),
    };
    let few = listed((2..=51).rev().map(error).collect());
    assert_eq!(few.len(), 50, "fifty errors are all listed, no count line");
    assert!(few[0].starts_with("第 2 行"), "{}", few[0]);

    let many = listed((2..=121).rev().map(error).collect());
    assert_eq!(many.len(), 51);
    assert!(
        many[0].starts_with("第 2 行"),
        "sorted by line: {}",
        many[0]
    );
    assert!(many[49].starts_with("第 51 行"), "{}", many[49]);
    assert_eq!(
        many[50],
        "……另有 70 处错误未列出（共 120 处）/ … and 70 more errors not listed (120 in all)"
    );
}

#[test]
fn store_errors_point_at_their_column() {
    let unknown = ValidationError::UnknownUnit("999".into());
    assert_eq!(Field::of_error(&unknown), Some(Field::Village));
    let missing = ValidationError::Missing {
        field: "head".into(),
    };
    assert_eq!(Field::of_error(&missing), Some(Field::Head));
    assert_eq!(Field::of_error(&ValidationError::Empty), None);
}
