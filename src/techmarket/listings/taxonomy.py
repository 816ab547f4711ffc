"""The market's fixed vocabularies, with the Chinese labels people see."""

from __future__ import annotations

from enum import StrEnum


class IpType(StrEnum):
    invention_patent = "invention_patent"
    utility_model = "utility_model"
    design_patent = "design_patent"
    software_copyright = "software_copyright"
    plant_variety = "plant_variety"
    ic_layout = "ic_layout"
    know_how = "know_how"


IP_TYPE_LABELS = {
    IpType.invention_patent: "发明专利",
    IpType.utility_model: "实用新型",
    IpType.design_patent: "外观设计",
    IpType.software_copyright: "软件著作权",
    IpType.plant_variety: "植物新品种",
    IpType.ic_layout: "集成电路布图设计",
    IpType.know_how: "技术秘密",
}

# IP types whose identifiers are CN patent application numbers.
PATENT_TYPES = frozenset({IpType.invention_patent, IpType.utility_model, IpType.design_patent})


class Industry(StrEnum):
    """Industry sub-markets (行业子市场) of the technology market."""

    agriculture = "agriculture"
    carbon_neutral_energy = "carbon_neutral_energy"
    health_medicine = "health_medicine"
    new_materials = "new_materials"
    intelligent_manufacturing = "intelligent_manufacturing"
    electronic_information = "electronic_information"
    energy_saving_environment = "energy_saving_environment"
    modern_transport = "modern_transport"
    marine = "marine"
    biotechnology = "biotechnology"


INDUSTRY_LABELS = {
    Industry.agriculture: "现代农业",
    Industry.carbon_neutral_energy: "碳中和与新能源",
    Industry.health_medicine: "生命健康与医药",
    Industry.new_materials: "新材料",
    Industry.intelligent_manufacturing: "智能制造",
    Industry.electronic_information: "电子信息",
    Industry.energy_saving_environment: "节能环保",
    Industry.modern_transport: "现代交通",
    Industry.marine: "海洋经济",
    Industry.biotechnology: "生物技术",
}


class TransferMode(StrEnum):
    assignment = "assignment"  # 转让
    exclusive_licence = "exclusive_licence"  # 独占许可
    sole_licence = "sole_licence"  # 排他许可
    ordinary_licence = "ordinary_licence"  # 普通许可
    equity = "equity"  # 作价入股
    free_then_paid = "free_then_paid"  # 先免费许可后付费


class CooperationMode(StrEnum):
    transfer = "transfer"  # 技术转让
    licence = "licence"  # 技术许可
    commissioned_development = "commissioned_development"  # 委托开发
    joint_development = "joint_development"  # 合作开发
    technical_service = "technical_service"  # 技术服务


TRANSFER_MODE_LABELS = {
    TransferMode.assignment: "转让",
    TransferMode.exclusive_licence: "独占许可",
    TransferMode.sole_licence: "排他许可",
    TransferMode.ordinary_licence: "普通许可",
    TransferMode.equity: "作价入股",
    TransferMode.free_then_paid: "先免费许可后付费",
}
