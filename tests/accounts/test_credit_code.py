import pytest
from hypothesis import given
from hypothesis import strategies as st

from techmarket.accounts.credit_code import ALPHABET, CreditCodeError, check_character, normalise

# Published codes of real organisations (their check characters were computed by the issuer).
REAL_CODES = [
    "91350100M000100Y43",  # the worked example of GB 32100-2015
    "91110000802100433B",  # 中国石油化工股份有限公司
    "91440300708461136T",  # 腾讯科技(深圳)有限公司
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_accepted(code: str) -> None:
    assert normalise(code) == code


def test_lowercase_and_spaces_are_normalised() -> None:
    assert normalise(" 91350100m000100y43 ") == "91350100M000100Y43"


def test_wrong_check_character_says_which_was_expected() -> None:
    with pytest.raises(CreditCodeError, match="check character is 2, expected 3"):
        normalise("91350100M000100Y42")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91350100M000100Y4", "must be 18 characters"),
        ("91350100M000100I43", "not allowed"),
        ("913501AAM000100Y43", "administrative division"),
    ],
)
def test_malformed_codes_are_refused(code: str, message: str) -> None:
    with pytest.raises(CreditCodeError, match=message):
        normalise(code)


body = st.text(alphabet=ALPHABET, min_size=17, max_size=17).filter(lambda s: s[2:8].isdigit())


@given(body)
def test_the_computed_check_character_validates(first17: str) -> None:
    assert normalise(first17 + check_character(first17)).endswith(check_character(first17))


@given(body, st.sampled_from(ALPHABET))
def test_any_other_check_character_is_refused(first17: str, wrong: str) -> None:
    if wrong == check_character(first17):
        return
    with pytest.raises(CreditCodeError, match="check character"):
        normalise(first17 + wrong)
