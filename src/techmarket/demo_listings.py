"""Demo catalogue: Chinese-language achievements and demands across the industry
taxonomy and several regions, generated deterministically; demands are drawn from the
same topics, so many clearly match achievements."""

from __future__ import annotations

import random
from dataclasses import dataclass

from techmarket.listings.taxonomy import CooperationMode, Industry, IpType, TransferMode

# Per industry: (topic, field-specific keywords).
TOPICS: dict[Industry, list[tuple[str, list[str]]]] = {
    Industry.new_materials: [
        ("高镍三元锂电池正极材料", ["正极材料", "锂电池"]),
        ("石墨烯导热薄膜", ["石墨烯", "导热"]),
        ("碳纤维复合材料", ["碳纤维", "复合材料"]),
        ("固态电解质", ["固态电池", "电解质"]),
        ("高性能稀土永磁材料", ["稀土", "永磁"]),
        ("可降解聚乳酸材料", ["聚乳酸", "可降解"]),
        ("耐高温陶瓷涂层", ["陶瓷", "涂层"]),
        ("钙钛矿光伏薄膜", ["钙钛矿", "光伏"]),
    ],
    Industry.intelligent_manufacturing: [
        ("工业机器人视觉定位", ["机器人", "机器视觉"]),
        ("数控机床热误差补偿", ["数控机床", "精度"]),
        ("智能产线数字孪生", ["数字孪生", "产线"]),
        ("激光增材制造", ["3D打印", "激光"]),
        ("协作机械臂力控", ["机械臂", "力控"]),
        ("设备故障预测性维护", ["故障诊断", "预测维护"]),
        ("柔性夹爪", ["夹爪", "柔性"]),
        ("AGV自主导航", ["AGV", "导航"]),
    ],
    Industry.electronic_information: [
        ("碳化硅功率器件", ["碳化硅", "功率器件"]),
        ("毫米波雷达芯片", ["毫米波", "雷达"]),
        ("边缘计算网关", ["边缘计算", "物联网"]),
        ("MEMS压力传感器", ["传感器", "MEMS"]),
        ("大模型推理加速", ["大模型", "推理"]),
        ("光通信硅光模块", ["硅光", "光通信"]),
        ("工业互联网安全", ["网络安全", "工业互联网"]),
        ("低功耗蓝牙定位", ["蓝牙", "定位"]),
    ],
    Industry.health_medicine: [
        ("肿瘤早筛液体活检", ["肿瘤", "早筛"]),
        ("医用可吸收缝合线", ["医疗器械", "缝合线"]),
        ("中药有效成分提取", ["中药", "提取"]),
        ("心脏支架涂层", ["支架", "心血管"]),
        ("AI医学影像辅助诊断", ["医学影像", "人工智能"]),
        ("mRNA疫苗递送", ["疫苗", "递送"]),
        ("康复外骨骼", ["康复", "外骨骼"]),
        ("血糖无创监测", ["血糖", "监测"]),
    ],
    Industry.agriculture: [
        ("水稻抗倒伏高产育种", ["水稻", "育种"]),
        ("茶叶智能采摘", ["茶叶", "采摘"]),
        ("设施农业水肥一体化", ["水肥", "温室"]),
        ("农业无人机植保", ["无人机", "植保"]),
        ("生物有机肥", ["有机肥", "土壤"]),
        ("果蔬冷链保鲜", ["保鲜", "冷链"]),
        ("水产循环养殖", ["水产", "养殖"]),
        ("杨梅采后保鲜", ["杨梅", "保鲜"]),
    ],
    Industry.carbon_neutral_energy: [
        ("氢燃料电池电堆", ["氢能", "燃料电池"]),
        ("海上风电叶片监测", ["风电", "叶片"]),
        ("储能电站热管理", ["储能", "热管理"]),
        ("光伏组件清洗机器人", ["光伏", "清洗"]),
        ("二氧化碳捕集利用", ["碳捕集", "二氧化碳"]),
        ("虚拟电厂调度", ["虚拟电厂", "调度"]),
        ("生物质气化发电", ["生物质", "气化"]),
        ("钠离子电池", ["钠离子", "电池"]),
    ],
    Industry.energy_saving_environment: [
        ("印染废水深度处理", ["废水", "印染"]),
        ("动力电池回收利用", ["电池回收", "梯次利用"]),
        ("VOCs催化燃烧", ["VOCs", "催化"]),
        ("污泥低温干化", ["污泥", "干化"]),
        ("工业余热回收", ["余热", "节能"]),
        ("建筑垃圾再生骨料", ["建筑垃圾", "再生"]),
    ],
    Industry.modern_transport: [
        ("智能网联汽车V2X", ["车联网", "V2X"]),
        ("轨道交通轴承监测", ["轨道交通", "轴承"]),
        ("电动汽车无线充电", ["无线充电", "电动汽车"]),
        ("港口集装箱自动化", ["港口", "集装箱"]),
        ("桥梁结构健康监测", ["桥梁", "监测"]),
        ("新能源汽车电驱", ["电驱", "电机"]),
    ],
    Industry.marine: [
        ("海水淡化膜", ["海水淡化", "反渗透"]),
        ("水下机器人", ["水下机器人", "海洋"]),
        ("海洋防腐涂料", ["防腐", "涂料"]),
        ("远洋渔船节能", ["渔船", "节能"]),
    ],
    Industry.biotechnology: [
        ("合成生物学酶制剂", ["酶制剂", "合成生物学"]),
        ("细胞培养肉", ["细胞培养", "蛋白"]),
        ("微生物发酵工艺", ["发酵", "微生物"]),
        ("基因编辑育种", ["基因编辑", "育种"]),
    ],
}

FORMS = (
    ("{t}的制备方法", IpType.invention_patent),
    ("{t}装置及系统", IpType.utility_model),
    ("{t}关键技术", IpType.know_how),
    ("{t}软件平台", IpType.software_copyright),
)

REGIONS = ("330106", "330110", "330212", "330302", "330402", "320506", "440305", "510107")


@dataclass(frozen=True)
class DemoAchievement:
    title: str
    summary: str
    ip_type: IpType
    industry: Industry
    region_code: str
    trl: int
    transfer_modes: list[TransferMode]
    asking_price_fen: int | None
    keywords: list[str]


@dataclass(frozen=True)
class DemoDemand:
    title: str
    description: str
    industry: Industry
    region_code: str
    budget_max_fen: int
    cooperation_mode: CooperationMode
    is_challenge: bool


def achievements() -> list[DemoAchievement]:
    rng = random.Random(2026)
    out = []
    for industry, topics in TOPICS.items():
        for topic, keywords in topics:
            for form, ip_type in FORMS[: 3 if len(topics) > 6 else 4]:
                out.append(
                    DemoAchievement(
                        title=form.format(t=topic),
                        summary=(
                            f"本成果围绕{topic}，突破关键工艺，性能指标达到国内领先水平，"
                            f"已完成小试和中试，可用于{'、'.join(keywords)}等领域的产业化。"
                        ),
                        ip_type=ip_type,
                        industry=industry,
                        region_code=rng.choice(REGIONS),
                        trl=rng.randint(3, 8),
                        transfer_modes=rng.sample(list(TransferMode), k=rng.randint(1, 3)),
                        asking_price_fen=None
                        if rng.random() < 0.15
                        else rng.randint(5, 500) * 1_000_000,
                        keywords=keywords,
                    )
                )
    return out


def demands() -> list[DemoDemand]:
    rng = random.Random(7)
    out = []
    for industry, topics in TOPICS.items():
        for topic, keywords in topics[:6]:
            out.append(
                DemoDemand(
                    title=f"寻求{topic}技术合作",
                    description=(
                        f"我公司计划在{keywords[0]}方向扩大生产，急需{topic}相关技术，"
                        f"希望解决{keywords[-1]}方面的工程化难题，欢迎高校院所揭榜。"
                    ),
                    industry=industry,
                    region_code=rng.choice(REGIONS),
                    budget_max_fen=rng.randint(20, 800) * 1_000_000,
                    cooperation_mode=rng.choice(list(CooperationMode)),
                    is_challenge=rng.random() < 0.25,
                )
            )
    return out
