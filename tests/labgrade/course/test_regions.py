"""labgrade.course.regions: nbgrader's delimiters and rule, one parser for every user of the regions."""

import pytest
from nbformat.v4 import new_code_cell
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

from labgrade.course import regions as rg

CELL = """def f(x):
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION

assert f(1) == 2
### BEGIN HIDDEN TESTS
assert f(3) == 6
### END HIDDEN TESTS
print("after")"""


def test_the_delimiters_are_nbgraders():
    assert rg.BEGIN_SOLUTION == ClearSolutions.begin_solution_delimeter.default_value
    assert rg.END_SOLUTION == ClearSolutions.end_solution_delimeter.default_value
    assert rg.BEGIN_HIDDEN == ClearHiddenTests.begin_test_delimeter.default_value
    assert rg.END_HIDDEN == ClearHiddenTests.end_test_delimeter.default_value


def test_hidden_tests_removed_as_nbgrader_removes_them():
    cell = new_code_cell(CELL)
    ClearHiddenTests()._remove_hidden_test_region(cell)
    assert rg.without_hidden_tests(CELL) == cell.source
    assert rg.hidden_line_numbers(CELL) == {7, 8, 9}
    assert rg.has_hidden_tests(CELL) and not rg.has_hidden_tests(cell.source)


def test_regions_and_markers():
    sol, hid = rg.regions(CELL)
    assert (sol.kind, sol.indent, sol.begin, sol.end, sol.body) == ("solution", "    ", 1, 3, ["    return 2 * x"])
    assert (hid.kind, hid.begin, hid.end) == ("hidden", 6, 8)
    assert "BEGIN SOLUTION" not in rg.without_markers(CELL) and "return 2 * x" in rg.without_markers(CELL)
    with pytest.raises(rg.RegionError):
        rg.regions("### BEGIN SOLUTION\nx = 1\n")
