from yishi_text.normalize import name_key, nfkc, squash_spaces


def test_nfkc_folds_full_width():
    assert nfkc("２０２６年ＡＢＣ") == "2026年ABC"


def test_name_key_ignores_spaces_and_bracket_width():
    assert name_key(" 党组（党委） ") == name_key("党组(党委)")
    assert name_key("宣 传 科") == "宣传科"


def test_squash_spaces():
    assert squash_spaces("a\u3000 b\n c") == "a b c"
