"""An organisation's units as a tree: nesting and order, cycles, paths, sibling names."""

from __future__ import annotations

from typing import Any

from functions.orgs.tree import (
    AMBIGUOUS,
    UNIT_KINDS,
    build_tree,
    children_of,
    descendants,
    path_key,
    resolve_path,
    sibling_name_taken,
    unit_paths,
    would_create_cycle,
)


def unit(unit_id: str, name: str, parent_id: str | None, kind: str = "class") -> dict[str, Any]:
    return {"unit_id": unit_id, "name": name, "kind": kind, "parent_id": parent_id}


# Demo School
# ├── Grade 7
# │   ├── Class 7-1
# │   └── Class 7-2
# └── Grade 8
#     └── Class 8-1
SCHOOL = [
    unit("g8", "Grade 8", "school", "grade"),
    unit("c72", "Class 7-2", "g7"),
    unit("school", "Demo School", None, "school"),
    unit("c81", "Class 8-1", "g8"),
    unit("c71", "Class 7-1", "g7"),
    unit("g7", "Grade 7", "school", "grade"),
]


def names(nodes: list[Any]) -> list[str]:
    return [node["name"] for node in nodes]


# --- kinds -------------------------------------------------------------------------------


def test_unit_kinds_cover_schools_and_companies() -> None:
    # Given / When the exported kinds
    # Then both a school's and a company's levels are there
    assert set(UNIT_KINDS) == {"school", "grade", "class", "company", "department", "team"}


# --- build_tree / children_of ---------------------------------------------------------------


def test_build_tree_nests_children_under_their_parents() -> None:
    # Given a school with two grades and their classes, listed out of order
    # When the tree is built
    tree = build_tree(SCHOOL)

    # Then the school is the one root and each class sits under its grade
    assert names(tree) == ["Demo School"]
    grades = tree[0]["children"]
    assert names(grades) == ["Grade 7", "Grade 8"]
    assert names(grades[0]["children"]) == ["Class 7-1", "Class 7-2"]
    assert names(grades[1]["children"]) == ["Class 8-1"]
    assert grades[1]["children"][0]["children"] == []


def test_build_tree_nodes_carry_the_unit_fields() -> None:
    # Given the school
    # When the tree is built
    grade = build_tree(SCHOOL)[0]["children"][0]

    # Then a node has the unit's fields besides its children
    assert {k: v for k, v in grade.items() if k != "children"} == {
        "unit_id": "g7",
        "name": "Grade 7",
        "kind": "grade",
        "parent_id": "school",
    }


def test_build_tree_orders_siblings_by_name_ignoring_case_then_by_id() -> None:
    # Given siblings whose names differ in case, two of them with the same name
    units = [
        unit("root", "Acme", None, "company"),
        unit("b", "sales", "root", "department"),
        unit("z", "Engineering", "root", "department"),
        unit("a", "engineering", "root", "department"),
        unit("c", "Accounts", "root", "department"),
    ]

    # When the tree is built
    children = build_tree(units)[0]["children"]

    # Then they are in casefolded name order, equal names by id
    assert [node["unit_id"] for node in children] == ["c", "a", "z", "b"]


def test_build_tree_treats_a_unit_with_a_missing_parent_as_a_root() -> None:
    # Given a class whose grade no longer exists
    units = [*SCHOOL, unit("lost", "Class 9-1", "gone")]

    # When the tree is built
    tree = build_tree(units)

    # Then the class is shown as a root, not dropped
    assert names(tree) == ["Class 9-1", "Demo School"]


def test_build_tree_of_no_units_is_empty() -> None:
    # Given / When the tree of an organisation without units
    # Then there are no roots
    assert build_tree([]) == []


def test_children_of_groups_sorted_units_by_parent_with_roots_under_none() -> None:
    # Given the school plus a unit whose parent is missing
    units = [*SCHOOL, unit("lost", "Class 9-1", "gone")]

    # When grouped by parent
    grouped = children_of(units)

    # Then each parent lists its children in name order, and None holds the roots
    assert {parent: [u["unit_id"] for u in kids] for parent, kids in grouped.items()} == {
        None: ["lost", "school"],
        "school": ["g7", "g8"],
        "g7": ["c71", "c72"],
        "g8": ["c81"],
    }


# --- descendants / would_create_cycle -------------------------------------------------------


def test_descendants_are_every_unit_below_not_the_unit_itself() -> None:
    # Given the school
    # When the descendants of the school and of a grade are listed
    # Then they are all the units below it
    assert descendants(SCHOOL, "school") == {"g7", "g8", "c71", "c72", "c81"}
    assert descendants(SCHOOL, "g7") == {"c71", "c72"}


def test_a_leaf_has_no_descendants() -> None:
    # Given / When a class's descendants are listed
    # Then there are none
    assert descendants(SCHOOL, "c71") == set()


def test_moving_a_unit_under_itself_is_a_cycle() -> None:
    # Given / When a grade would become its own parent
    # Then it is a cycle
    assert would_create_cycle(SCHOOL, "g7", "g7")


def test_moving_a_unit_under_its_child_is_a_cycle() -> None:
    # Given / When the school would move under one of its grades
    # Then it is a cycle
    assert would_create_cycle(SCHOOL, "school", "g7")


def test_moving_a_unit_under_its_grandchild_is_a_cycle() -> None:
    # Given / When the school would move under a class of one of its grades
    # Then it is a cycle
    assert would_create_cycle(SCHOOL, "school", "c72")


def test_moving_a_unit_under_an_unrelated_unit_is_not_a_cycle() -> None:
    # Given / When a class moves from Grade 7 to Grade 8
    # Then it is allowed
    assert not would_create_cycle(SCHOOL, "c71", "g8")


def test_moving_a_unit_to_the_top_is_not_a_cycle() -> None:
    # Given / When a grade becomes a root
    # Then it is allowed
    assert not would_create_cycle(SCHOOL, "g7", None)


def test_cycle_check_ends_on_data_that_already_has_a_cycle() -> None:
    # Given two units that are already each other's parent (bad data)
    units = [unit("a", "A", "b"), unit("b", "B", "a"), unit("c", "C", None)]

    # When a move is checked and the tree is built
    # Then both finish: the move into the loop is a cycle, the looped units are not roots
    assert would_create_cycle(units, "a", "b")
    assert names(build_tree(units)) == ["C"]


# --- paths ------------------------------------------------------------------------------


def test_path_key_strips_collapses_spaces_casefolds_and_drops_empty_parts() -> None:
    # Given / When a sloppily typed path is normalised
    # Then it becomes the canonical key
    assert path_key("  /Grade   7 //  CLASS 7-2 / ") == "grade 7/class 7-2"


def test_path_key_reads_full_width_characters_as_ascii() -> None:
    # Given / When a path typed with a Chinese input method's full-width slash and digits
    # Then it matches the ASCII spelling
    assert path_key("７年级／７班") == path_key("7年级/7班")


def test_unit_paths_address_a_unit_from_just_below_the_root() -> None:
    # Given / When the school's paths are listed
    paths = unit_paths(SCHOOL)

    # Then a class is found by grade and class name
    assert paths["grade 7/class 7-2"] == "c72"
    assert paths["grade 8"] == "g8"


def test_unit_paths_address_a_unit_by_its_full_path_including_the_root() -> None:
    # Given / When the school's paths are listed
    paths = unit_paths(SCHOOL)

    # Then a class is also found with the school's name in front
    assert paths["demo school/grade 7/class 7-2"] == "c72"


def test_unit_paths_address_a_root_by_its_own_name() -> None:
    # Given / When the school's paths are listed
    # Then the school is found by its name
    assert unit_paths(SCHOOL)["demo school"] == "school"


def test_unit_paths_list_exactly_the_relative_and_full_paths() -> None:
    # Given a company with one department
    units = [unit("acme", "Acme", None, "company"), unit("d", "Sales", "acme", "department")]

    # When its paths are listed
    # Then there is the root's name and the department's two paths, nothing else
    assert unit_paths(units) == {"acme": "acme", "sales": "d", "acme/sales": "d"}


def test_resolve_path_ignores_case_and_whitespace() -> None:
    # Given the school's paths
    paths = unit_paths(SCHOOL)

    # When a path is typed in other case with extra spaces
    # Then it resolves to the class
    assert resolve_path(paths, " grade 7 /  class 7-2 ") == "c72"
    assert resolve_path(paths, "DEMO SCHOOL/Grade 7/Class 7-2") == "c72"


def test_resolve_path_of_an_unknown_path_is_none() -> None:
    # Given / When a path naming no unit is resolved
    # Then there is no unit
    assert resolve_path(unit_paths(SCHOOL), "Grade 7/Class 7-9") is None


def test_resolve_path_of_a_blank_path_is_none() -> None:
    # Given / When an empty or slash-only path is resolved
    # Then there is no unit
    assert resolve_path(unit_paths(SCHOOL), " / ") is None


def test_a_leaf_name_alone_does_not_address_a_unit_below_a_grade() -> None:
    # Given / When a class is named without its grade
    # Then it is not found: only paths from below the root or from the root count
    assert resolve_path(unit_paths(SCHOOL), "Class 7-2") is None


def test_two_units_with_the_same_path_make_it_ambiguous() -> None:
    # Given two classes named alike (apart from case and spacing) in the same grade
    units = [*SCHOOL, unit("c72b", "class  7-2", "g7")]

    # When the paths are listed and the path resolved
    paths = unit_paths(units)

    # Then the key maps to None and resolves as ambiguous, both relative and full
    assert paths["grade 7/class 7-2"] is None
    assert resolve_path(paths, "Grade 7/Class 7-2") is AMBIGUOUS
    assert resolve_path(paths, "Demo School/Grade 7/Class 7-2") is AMBIGUOUS


def test_a_root_named_like_a_grade_makes_the_short_path_ambiguous_only() -> None:
    # Given a second root named like one of the school's grades
    units = [*SCHOOL, unit("other", "Grade 7", None, "school")]

    # When the paths are listed
    paths = unit_paths(units)

    # Then the bare name is ambiguous but the full path still finds the grade
    assert resolve_path(paths, "Grade 7") is AMBIGUOUS
    assert resolve_path(paths, "Demo School/Grade 7") == "g7"


def test_ambiguity_is_not_the_string_ambiguous() -> None:
    # Given a unit whose id happens to be the word "ambiguous"
    units = [unit("ambiguous", "Team A", None, "team")]

    # When its path is resolved
    found = resolve_path(unit_paths(units), "Team A")

    # Then it is that unit, not the ambiguity marker
    assert found == "ambiguous"
    assert found is not AMBIGUOUS


# --- sibling_name_taken -----------------------------------------------------------------


def test_sibling_name_is_taken_regardless_of_case_and_spaces() -> None:
    # Given / When a new class in Grade 7 is named like an existing one
    # Then the name is taken
    assert sibling_name_taken(SCHOOL, "g7", "  class 7-1 ")


def test_the_same_name_under_another_parent_is_free() -> None:
    # Given / When a class in Grade 8 is named like one in Grade 7
    # Then the name is free
    assert not sibling_name_taken(SCHOOL, "g8", "Class 7-1")


def test_renaming_a_unit_to_its_own_name_is_not_taken() -> None:
    # Given / When a class is renamed to its own name in another case
    # Then its own name does not count against it
    assert not sibling_name_taken(SCHOOL, "g7", "CLASS 7-1", except_id="c71")


def test_root_names_are_compared_among_roots() -> None:
    # Given / When a new root is named like the school
    # Then the name is taken
    assert sibling_name_taken(SCHOOL, None, "demo school")
