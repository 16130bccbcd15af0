"""Scanner input normalisation and Luhn check digits (lending.circulation.scan)."""

import pytest

from lending.circulation import luhn_check_digit, luhn_valid, normalize_code

# A 14-digit library barcode whose last digit is a correct Luhn check digit.
LIBRARY_BARCODE = "31234000056786"


# --- normalize_code: what keyboard-mode scanners append -------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "HS-0001\r",
        "HS-0001\n",
        "HS-0001\r\n",
        "HS-0001\t",
        "  HS-0001",
        "HS-0001  ",
        "  HS-0001 \r\n",
        "\tHS-0001\t",
    ],
    ids=["cr", "lf", "crlf", "tab", "leading-spaces", "trailing-spaces", "both-ends", "tabs"],
)
def test_scanner_terminators_and_surrounding_whitespace_are_removed(raw):
    assert normalize_code(raw) == "HS-0001"


def test_code_that_is_already_clean_is_returned_unchanged():
    assert normalize_code("LAP-0042") == "LAP-0042"


def test_case_of_an_ordinary_barcode_is_preserved():
    assert normalize_code("hs-0001") == "hs-0001"


def test_whitespace_only_input_normalises_to_empty_string():
    assert normalize_code(" \r\n\t ") == ""


def test_empty_input_normalises_to_empty_string():
    assert normalize_code("") == ""


# --- normalize_code: spaces inside 14-digit library codes ------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "3 1234 00005678 6",
        "31234 000056786",
        "3 1 2 3 4 0 0 0 0 5 6 7 8 6",
        "3  1234  00005678  6",
        " 3 1234 00005678 6\r\n",
    ],
)
def test_spaces_inside_a_fourteen_digit_library_code_are_removed(raw):
    assert normalize_code(raw) == LIBRARY_BARCODE


def test_fourteen_digit_code_without_spaces_is_unchanged():
    assert normalize_code(LIBRARY_BARCODE) == LIBRARY_BARCODE


@pytest.mark.parametrize(
    "raw",
    [
        "1234 5678",  # 8 digits
        "3 1234 00005678",  # 13 digits
        "3 1234 00005678 67",  # 15 digits
        "HS 0001",  # not all digits
        "ABC 123",
        "3 1234 0000567X 6",  # a letter among the digits
    ],
)
def test_spaces_are_kept_inside_codes_that_are_not_fourteen_digits(raw):
    assert normalize_code(raw) == raw


def test_inner_spaces_of_a_spaced_code_of_other_length_are_kept_after_trimming_ends():
    assert normalize_code("  1234 5678\r") == "1234 5678"


# --- normalize_code: Codabar start/stop letters ----------------------------------------------


@pytest.mark.parametrize("start", ["A", "B", "C", "D", "a", "b", "c", "d"])
@pytest.mark.parametrize("stop", ["A", "B", "C", "D", "a", "b", "c", "d"])
def test_codabar_start_and_stop_letters_are_stripped_around_digits(start, stop):
    assert normalize_code(f"{start}{LIBRARY_BARCODE}{stop}") == LIBRARY_BARCODE


def test_codabar_letters_are_stripped_from_the_usual_scanner_output():
    assert normalize_code("A31234000056786B") == LIBRARY_BARCODE


def test_codabar_letters_and_a_trailing_crlf_are_both_removed():
    assert normalize_code("A31234000056786B\r\n") == LIBRARY_BARCODE


def test_codabar_letters_are_stripped_and_then_inner_spaces_of_a_fourteen_digit_code_removed():
    assert normalize_code("A3 1234 00005678 6B") == LIBRARY_BARCODE


def test_codabar_letters_are_stripped_from_a_short_digit_code():
    assert normalize_code("C12345D") == "12345"


def test_codabar_letters_are_stripped_around_digits_with_codabar_punctuation():
    assert normalize_code("A12-34$5:6/7.8+9B") == "12-34$5:6/7.8+9"


@pytest.mark.parametrize(
    "code",
    [
        "HS-0001",
        "ABC123",
        "ABCD",
        "A123",  # a start letter but no stop letter
        "123B",  # a stop letter but no start letter
        "A12X34B",  # a non-Codabar character between the letters
        "E1234E",  # E is not a Codabar start/stop letter
        "LAPTOP-7",
        "DELL-5420-01",
    ],
)
def test_ordinary_alphanumeric_barcodes_keep_their_letters(code):
    assert normalize_code(code) == code


def test_only_the_outermost_codabar_letters_are_stripped():
    # The inner letters are not Codabar data characters, so nothing is stripped at all.
    assert normalize_code("AA1234BB") == "AA1234BB"


# --- Luhn check digits -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "digit"),
    [
        ("7992739871", 3),
        ("3123400005678", 6),
        ("411111111111111", 1),
        ("0", 0),
        ("1", 8),
        ("9", 1),
        ("", 0),
    ],
)
def test_luhn_check_digit_of_known_payloads(payload, digit):
    assert luhn_check_digit(payload) == digit


@pytest.mark.parametrize(
    "number",
    ["79927398713", LIBRARY_BARCODE, "4111111111111111", "4012888888881881", "00", "18"],
)
def test_luhn_valid_accepts_numbers_with_a_correct_check_digit(number):
    assert luhn_valid(number) is True


@pytest.mark.parametrize(
    "number",
    [
        "79927398710",
        "79927398719",
        "31234000056787",  # library barcode with the check digit off by one
        "31234000056768",  # two neighbouring digits swapped
        "4111111111111112",
    ],
)
def test_luhn_valid_rejects_numbers_with_a_wrong_check_digit(number):
    assert luhn_valid(number) is False


def test_luhn_catches_every_single_digit_substitution_in_a_library_barcode():
    for position in range(len(LIBRARY_BARCODE)):
        for digit in "0123456789":
            if digit == LIBRARY_BARCODE[position]:
                continue
            typo = LIBRARY_BARCODE[:position] + digit + LIBRARY_BARCODE[position + 1 :]
            assert luhn_valid(typo) is False, typo


def test_appending_the_check_digit_always_gives_a_valid_number():
    for payload in ["1", "12", "123456789", "3123400005678", "9999999999999", "0000000000000"]:
        assert luhn_valid(payload + str(luhn_check_digit(payload)))


@pytest.mark.parametrize(
    "number",
    ["", "0", "7", "HS-0001", "7992739871X", "7992 7398 713", "-79927398713", "7992739871.3"],
)
def test_luhn_valid_is_false_for_single_digits_and_non_digit_strings(number):
    assert luhn_valid(number) is False


@pytest.mark.parametrize("number", ["7992739871²", "²3", "12³4"])
def test_luhn_valid_is_false_rather_than_crashing_on_superscript_digits(number):
    assert luhn_valid(number) is False
