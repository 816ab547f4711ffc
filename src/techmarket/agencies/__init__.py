"""Service agencies (服务机构): the directory of what they offer and where."""
