"""A result's numbers tell one story: the grade is the score rounded, the chart marks the grade
and its neighbours, and where the likeliest bar or an old score point elsewhere, the page says
why; the confidence is said as what it is (pure values, no database)."""

from diagnosis.charts import grade_story

GEA = ["clear", "almost clear", "mild", "moderate", "severe", "very severe"]


def test_a_grade_whose_bar_is_the_likeliest_needs_no_explanation():
    story = grade_story(
        grade=3,
        score=3.1,
        probabilities=[0.0, 0.02, 0.05, 0.9, 0.03, 0.0],
        confidence=0.99,
        labels=GEA,
    )

    assert story.chart_note == "" and story.score_note == ""
    assert [bar.grade for bar in story.bars if bar.is_result] == [3]
    assert [bar.grade for bar in story.bars if bar.near] == [2, 3, 4]
    # "confidence 99 %" beside "90 % moderate" read as a contradiction: it is said as what it is.
    assert story.confidence_text.startswith(
        "How sure: 99 % that your skin is between mild and severe, that is moderate or a grade "
        "next to it"
    )


def test_when_another_grade_is_likeliest_the_chart_says_why_the_grade_differs():
    # A clear face graded "almost clear" while the highest bar was "clear, 46 %".
    story = grade_story(
        grade=1,
        score=0.82,
        probabilities=[0.46, 0.3, 0.2, 0.04, 0.0, 0.0],
        confidence=0.9,
        labels=GEA,
    )

    assert story.chart_note == (
        "Clear alone is the likeliest grade (46 %), but higher grades are likely too: weighed "
        "together they come to almost clear, a score of 0.8."
    )
    assert round(story.score) == story.grade


def test_an_old_result_whose_score_was_read_apart_from_the_grade_says_so():
    story = grade_story(
        grade=5, score=3.9, probabilities=[0, 0, 0, 0.05, 0.3, 0.65], confidence=0.99, labels=GEA
    )

    assert "earlier version of the analysis" in story.score_note
    assert story.chart_note == ""


def test_the_lowest_and_highest_grades_name_the_one_neighbour_they_have():
    clear = grade_story(
        grade=0, score=0.1, probabilities=[0.9, 0.1, 0, 0, 0, 0], confidence=0.97, labels=GEA
    )
    worst = grade_story(
        grade=5, score=4.8, probabilities=[0, 0, 0, 0, 0.2, 0.8], confidence=1.0, labels=GEA
    )

    assert "between clear and almost clear" in clear.confidence_text
    assert "between severe and very severe" in worst.confidence_text
    assert (
        grade_story(
            grade=2, score=2.0, probabilities=[], confidence=None, labels=GEA
        ).confidence_text
        == ""
    )
