"""Proof-of-concept centres (概念验证中心) and the projects they take an achievement through."""
