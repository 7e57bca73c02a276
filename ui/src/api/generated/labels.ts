// Generated from tally_core (the codes in model.rs, the fields in labels.rs). Do not edit.
export type CodeLabels = Record<string, Record<string, string>>;
export const LABELS: Record<"zh-CN" | "en", CodeLabels> = {
  "zh-CN": {
    category: { "five-guarantee": "五保户", "subsistence": "低保户", "disabled-poor": "残疾人贫困户" },
    rating: { "A": "A级", "B": "B级", "C": "C级", "D": "D级" },
    renovation: { "planned": "计划", "started": "已开工", "completed": "已竣工", "accepted": "已验收" },
    pile: { "firewood": "柴堆", "hay": "草堆", "manure": "粪堆", "dirt": "土堆", "garbage": "垃圾堆" },
    worksKind: { "road": "街巷硬化", "water": "安全饮水", "culture-room": "文化室", "clinic": "卫生室", "shop": "便民超市" },
    worksStatus: { "planned": "计划", "started": "已开工", "completed": "已竣工" },
    metric: { "renovation": "危房改造(户)", "road-km": "街巷硬化(公里)", "water-sites": "安全饮水(处)", "water-people": "安全饮水(人)", "demolition": "拆除(户)", "cleanup-tonnes": "清理(吨)" },
    level: { "banner": "旗", "township": "苏木镇", "village": "嘎查村", "hamlet": "自然村" },
    table: { "org_unit": "组织单位", "household": "农户", "visit": "走访", "demolition": "拆除", "cleanup": "清理", "works": "工程", "target": "指标" },
    role: { "cadre": "驻村干部", "leader": "工作队长", "inspector": "督查组", "admin": "管理员" },
    field: { "id": "编号", "unit": "所在村", "last_visit": "最近走访", "timeline": "走访与进展", "history": "修改记录", "code": "编码", "name": "名称", "level": "级别", "parent": "上级", "head": "户主姓名", "members": "人口", "phone": "电话", "categories": "户类别", "seepage": "黄河渗漏区", "rating": "危房等级", "renovation": "改造状态", "planned_on": "计划日期", "started_on": "开工日期", "completed_on": "竣工日期", "accepted_on": "验收日期", "cadre": "包户干部", "household": "农户", "date": "日期", "note": "备注", "area_m2": "面积", "kind": "类别", "tonnes": "吨数", "piles": "堆数", "quantity": "数量", "people": "受益人数", "status": "状态", "metric": "指标项", "deadline": "截止日期", "deleted": "已删除" },
    unit: { "household/members": "人", "cleanup/tonnes": "吨", "cleanup/piles": "堆", "demolition/area_m2": "平方米", "works/quantity/road": "公里", "works/quantity": "处", "works/people": "人", "target/quantity/renovation": "户", "target/quantity/road-km": "公里", "target/quantity/water-sites": "处", "target/quantity/water-people": "人", "target/quantity/demolition": "户", "target/quantity/cleanup-tonnes": "吨" },
  },
  "en": {
    category: { "five-guarantee": "Five-guarantee", "subsistence": "Subsistence allowance", "disabled-poor": "Disabled poor" },
    rating: { "A": "A", "B": "B", "C": "C", "D": "D" },
    renovation: { "planned": "Planned", "started": "Started", "completed": "Completed", "accepted": "Accepted" },
    pile: { "firewood": "Firewood", "hay": "Hay", "manure": "Manure", "dirt": "Dirt", "garbage": "Garbage" },
    worksKind: { "road": "Street hardening", "water": "Safe water", "culture-room": "Culture room", "clinic": "Clinic", "shop": "Shop" },
    worksStatus: { "planned": "Planned", "started": "Started", "completed": "Completed" },
    metric: { "renovation": "Renovation (households)", "road-km": "Streets (km)", "water-sites": "Safe water (sites)", "water-people": "Safe water (people)", "demolition": "Demolition (households)", "cleanup-tonnes": "Cleanup (t)" },
    level: { "banner": "Banner", "township": "Township", "village": "Village", "hamlet": "Hamlet" },
    table: { "org_unit": "Org unit", "household": "Household", "visit": "Visit", "demolition": "Demolition", "cleanup": "Cleanup", "works": "Works", "target": "Target" },
    role: { "cadre": "Cadre", "leader": "Team leader", "inspector": "Inspector", "admin": "Admin" },
    field: { "id": "Id", "unit": "Village", "last_visit": "Last visit", "timeline": "Timeline", "history": "History", "code": "Code", "name": "Name", "level": "Level", "parent": "Parent", "head": "Head of household", "members": "Members", "phone": "Phone", "categories": "Categories", "seepage": "Seepage zone", "rating": "House rating", "renovation": "Renovation", "planned_on": "Planned on", "started_on": "Started on", "completed_on": "Completed on", "accepted_on": "Accepted on", "cadre": "Cadre", "household": "Household", "date": "Date", "note": "Note", "area_m2": "Area", "kind": "Kind", "tonnes": "Tonnes", "piles": "Piles", "quantity": "Quantity", "people": "People served", "status": "Status", "metric": "Metric", "deadline": "Deadline", "deleted": "Deleted" },
    unit: { "household/members": "people", "cleanup/tonnes": "t", "cleanup/piles": "piles", "demolition/area_m2": "m²", "works/quantity/road": "km", "works/quantity": "sites", "works/people": "people", "target/quantity/renovation": "households", "target/quantity/road-km": "km", "target/quantity/water-sites": "sites", "target/quantity/water-people": "people", "target/quantity/demolition": "households", "target/quantity/cleanup-tonnes": "t" },
  },
};
