"""The demo district: 福州市鼓楼区 at real scale, built by `jiceng demo` (see build.py).

Everything here is generated from a fixed random seed, so two builds give the same district; names,
phone numbers and ID numbers are invented (valid in form, belonging to nobody we know of).
"""
