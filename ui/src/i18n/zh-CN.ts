// 中文（默认语言）。
export default {
  app: { title: "Tally 驻村台账", device: "本机", offline: "离线", online: "在线", unknown: "未检测", syncing: "同步中", pending: "待同步 {n} 条", clockWarning: "本机时钟偏差 {min} 分钟" },
  nav: { home: "首页", households: "农户", entry: "录入", sync: "同步", conflicts: "冲突", export: "导出", settings: "设置" },
  common: { save: "保存", cancel: "取消", edit: "编辑", open: "查看", none: "无", all: "全部", yes: "是", no: "否", saved: "已保存到本机", unit: "单位", village: "嘎查村", date: "日期", today: "今天", search: "搜索", loading: "加载中…", empty: "暂无数据", actions: "操作", refresh: "刷新", required: "{field}必须填写" },
  home: { ledger: "对账销号台账", asOf: "截至 {date}", metric: "项目", target: "指标", started: "已开工", completed: "已完成", percent: "完成率", remaining: "剩余", deadline: "截止日期", perDay: "每日需完成", last7: "近7日日均", behind: "进度滞后", onPace: "进度正常", behindAlert: "{n} 项进度落后于截止日期要求", todays: "今日录入", syncState: "同步状态", lastSync: "上次同步", never: "从未同步", noUnits: "本机还没有组织单位：请先到“同步”页登录服务器，或用 tally 命令行导入。", chartTitle: "指标 / 已开工 / 已完成", percentTitle: "完成率 (%)", setTarget: "设定指标", quantity: "数量" },
  households: { title: "农户", search: "户主姓名或拼音首字母（如 zs）", add: "新增农户", head: "户主", members: "人口", phone: "电话", categories: "户类别", seepage: "黄河渗漏区", rating: "危房等级", renovation: "改造状态", lastVisit: "最近走访", cadre: "包户干部", notVisited: "超过几天未走访", noCadre: "无包户干部", count: "共 {n} 户（{ms} 毫秒）", noRenovation: "未登记", timeline: "走访、改造与拆除", anyCategory: "任意类别", anyRating: "任意等级", anyStatus: "任意状态", days: "天", edit: "编辑农户", visit: "登记走访", setRenovation: "改造状态", demolish: "登记拆除", back: "返回列表" },
  entry: { title: "录入", visit: "走访", renovation: "危房改造", demolition: "拆除", cleanup: "清理", works: "工程进度", household: "农户", householdPick: "输入户主姓名或拼音首字母", note: "走访情况", status: "状态", correction: "队长更正（允许回退状态）", area: "面积(平方米)", pileKind: "堆类", tonnes: "吨数", piles: "堆数", saveNext: "保存并录入下一车", loadsToday: "本次已录入 {n} 车，共 {t} 吨", worksItem: "工程", newWorks: "新增工程", worksKind: "工程类别", quantity: "数量", people: "受益人数", savedLocal: "已保存到本机，联网后自动同步" },
  sync: { title: "同步", login: "登录服务器（注册本机）", server: "服务器地址", user: "用户名", password: "密码", loginBtn: "登录", loggedIn: "已登录：{user}（{role}），服务器 {server}", notLoggedIn: "本机还没有登录服务器", syncNow: "立即同步", pending: "待同步", rejected: "被拒绝", lastSync: "上次同步", never: "从未", progressChecking: "正在连接服务器…", progressPushing: "正在上传 {sent}/{total}", progressPulling: "正在下载，已收到 {received} 条", done: "同步完成：上传 {accepted} 条，被拒 {rejected} 条，下载 {received} 条", auto: "服务器可连接时自动同步（每 30 秒检测一次）", outbox: "本机录入的记录", state: { pending: "待同步", accepted: "已同步", rejected: "被拒绝" }, receipt: "回执号 {n}", reason: "原因", resend: "重新发送", correct: "修改", recordedAt: "录入时间", summary: "内容", resent: "已重新排队，下次同步时发送", roles: { cadre: "驻村干部", leader: "工作队长", inspector: "督查", admin: "管理员" } },
  conflicts: { title: "冲突裁定", none: "没有待裁定的冲突", current: "当前值", other: "另一值", by: "{who} 于 {when}", keep: "采用此值", custom: "或输入裁定值", resolve: "裁定", onlyLeaders: "冲突由工作队长裁定；本账号只能查看", resolved: "已裁定，同步后生效" },
  export: { title: "导出报表", unit: "报表单位", format: "格式", xlsx: "Excel (XLSX)：台账一张表，每类记录一张表", csv: "CSV：每张表一个文件", run: "导出", folder: "保存到", done: "已导出 {n} 个文件" },
  settings: { title: "设置", language: "语言", dataDir: "数据文件夹", dataDirFixed: "由环境变量 TALLY_DATA_DIR 指定，不能在此修改", dataDirHint: "留空为默认位置（与 tally 命令行共用）", exportDir: "导出文件夹", device: "本机", deviceName: "设备名称", deviceId: "设备编号", database: "数据库文件", clock: "时钟", clockOk: "本机时钟与服务器相差 {s} 秒，正常", clockOff: "本机时钟与服务器相差 {min} 分钟：请校正电脑时间（记录不会丢失，但时间可能不准）", clockUnknown: "还没有同步过，无法检查时钟", saved: "设置已保存" },
  codes: {
    category: { "five-guarantee": "五保户", subsistence: "低保户", "disabled-poor": "残疾人贫困户" },
    rating: { A: "A级", B: "B级", C: "C级", D: "D级" },
    renovation: { planned: "计划", started: "已开工", completed: "已竣工", accepted: "已验收" },
    pile: { firewood: "柴堆", hay: "草堆", manure: "粪堆", dirt: "土堆", garbage: "垃圾堆" },
    worksKind: { road: "街巷硬化", water: "安全饮水", "culture-room": "文化室", clinic: "卫生室", shop: "便民超市" },
    worksStatus: { planned: "计划", started: "已开工", completed: "已完工" },
    metric: { renovation: "危房改造(户)", "road-km": "街巷硬化(公里)", "water-sites": "安全饮水(处)", "water-people": "安全饮水(人)", demolition: "拆除(户)", "cleanup-tonnes": "清理(吨)" },
    level: { banner: "旗", township: "苏木镇", village: "嘎查村", hamlet: "自然村" },
  },
};
