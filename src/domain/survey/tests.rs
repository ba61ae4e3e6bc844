//! The survey rules' unit tests: drafts, answers from forms, stored answers, tallies and CSV.

use super::*;

fn draft(prompt: &str, kind: &str, options: &str) -> QuestionDraft {
    QuestionDraft {
        prompt: prompt.to_owned(),
        kind: kind.to_owned(),
        options: options.to_owned(),
        required: false,
    }
}

fn question(kind: QuestionKind, options: &[&str], required: bool) -> Question {
    Question {
        prompt: format!("A {} question", kind.code()),
        kind,
        options: options.iter().map(|o| o.to_string()).collect(),
        required,
    }
}

fn form(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

/// The one problem staff are shown for these drafts.
fn refusal(drafts: &[QuestionDraft]) -> SurveyProblem {
    questions_from_drafts(drafts).expect_err("the drafts are refused")
}

/// The problems a resident is shown, as (question, message).
fn problems(questions: &[Question], fields: &[(&str, &str)]) -> Vec<(usize, String)> {
    answers_from_form(questions, &form(fields))
        .expect_err("the answers are refused")
        .into_iter()
        .map(|p| (p.question, p.message))
        .collect()
}

/// The answer to a survey's only question.
fn only_answer(question: &Question, fields: &[(&str, &str)]) -> Option<Answer> {
    let mut answers = answers_from_form(std::slice::from_ref(question), &form(fields))
        .expect("the answers are accepted");
    assert_eq!(answers.len(), 1);
    answers.remove(0)
}

/// The message for a survey's only question.
fn only_problem(question: &Question, fields: &[(&str, &str)]) -> String {
    let mut problems = problems(std::slice::from_ref(question), fields);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let (number, message) = problems.remove(0);
    assert_eq!(number, 0);
    message
}

fn crime_ranking() -> Question {
    question(
        QuestionKind::Ranking,
        &["Speeding", "Drugs", "Litter"],
        false,
    )
}

// Kinds of question

#[test]
fn every_kind_reads_back_from_its_code() {
    for kind in QuestionKind::ALL {
        assert_eq!(QuestionKind::parse(kind.code()), Some(kind));
    }
    let codes: Vec<_> = QuestionKind::ALL.iter().map(|k| k.code()).collect();
    assert_eq!(codes, ["single", "multiple", "ranking", "rating", "text"]);
}

#[test]
fn a_kind_is_read_in_any_case_with_spaces_around() {
    assert_eq!(QuestionKind::parse("  Rating "), Some(QuestionKind::Rating));
    assert_eq!(
        QuestionKind::parse("MULTIPLE"),
        Some(QuestionKind::Multiple)
    );
    assert_eq!(QuestionKind::parse("\tText\n"), Some(QuestionKind::Text));
    assert_eq!(QuestionKind::parse(""), None);
    assert_eq!(QuestionKind::parse("choice"), None);
    assert_eq!(QuestionKind::parse("sin gle"), None);
}

#[test]
fn staff_see_each_kind_in_words() {
    let labels: Vec<_> = QuestionKind::ALL.iter().map(|k| k.label()).collect();
    assert_eq!(
        labels,
        [
            "One choice",
            "Several choices",
            "Put in order",
            "Rating from 1 to 5",
            "Free text"
        ]
    );
}

#[test]
fn only_choices_and_rankings_offer_options() {
    assert!(QuestionKind::Single.has_options());
    assert!(QuestionKind::Multiple.has_options());
    assert!(QuestionKind::Ranking.has_options());
    assert!(!QuestionKind::Rating.has_options());
    assert!(!QuestionKind::Text.has_options());
}

// The survey builder

#[test]
fn drafts_become_questions_with_tidy_options() {
    let mut first = draft(
        "  Which matters most to you?  ",
        "ranking",
        "\n  Speeding \n\n Drugs\n   \nLitter\n",
    );
    first.required = true;
    let second = draft("How safe do you feel?", " Rating", "");
    let questions = questions_from_drafts(&[first, second]).expect("accepted");
    assert_eq!(
        questions,
        [
            Question {
                prompt: "Which matters most to you?".to_owned(),
                kind: QuestionKind::Ranking,
                options: vec!["Speeding".into(), "Drugs".into(), "Litter".into()],
                required: true,
            },
            Question {
                prompt: "How safe do you feel?".to_owned(),
                kind: QuestionKind::Rating,
                options: vec![],
                required: false,
            },
        ]
    );
}

#[test]
fn options_on_windows_line_ends_are_read_the_same() {
    let questions = questions_from_drafts(&[draft("Where?", "single", "Park\r\nHigh Street\r\n")])
        .expect("accepted");
    assert_eq!(questions[0].options, ["Park", "High Street"]);
}

#[test]
fn an_option_repeated_in_any_case_is_kept_once_as_first_written() {
    let questions = questions_from_drafts(&[draft(
        "Which?",
        "multiple",
        "Dog fouling\nParking\ndog FOULING\n Parking \nÉcole\nécole",
    )])
    .expect("accepted");
    assert_eq!(questions[0].options, ["Dog fouling", "Parking", "École"]);
}

#[test]
fn unused_slots_are_skipped() {
    let blank = QuestionDraft::default();
    let spaces = draft("   ", "single", " \n \r\n ");
    let kind_only = QuestionDraft {
        kind: "rating".into(),
        required: true,
        ..QuestionDraft::default()
    };
    let questions = questions_from_drafts(&[
        blank.clone(),
        draft("Anything else?", "text", ""),
        spaces,
        kind_only,
        blank,
    ])
    .expect("accepted");
    assert_eq!(questions.len(), 1);
    assert_eq!(questions[0].prompt, "Anything else?");
}

#[test]
fn options_given_for_a_rating_or_free_text_are_ignored() {
    let questions = questions_from_drafts(&[
        draft("How safe?", "rating", "Very\nNot at all"),
        draft("Tell us more", "text", "only one"),
    ])
    .expect("accepted");
    assert!(questions[0].options.is_empty());
    assert!(questions[1].options.is_empty());
}

#[test]
fn control_characters_are_removed_from_questions_and_options() {
    let questions = questions_from_drafts(&[draft(
        "How\u{0} safe\u{7} is\tyour\nstreet?\u{1b}",
        "single",
        "Very\u{0} safe\nNot\u{8}\tsafe",
    )])
    .expect("accepted");
    // A tab or line break keeps the words apart; other control characters simply go.
    assert_eq!(questions[0].prompt, "How safe is your street?");
    assert_eq!(questions[0].options, ["Very safe", "Not safe"]);
}

#[test]
fn options_without_a_question_are_refused() {
    let problem = refusal(&[
        draft("Where?", "single", "Park\nShops"),
        draft("  ", "single", "Yes\nNo"),
    ]);
    assert_eq!(problem.question, Some(2));
    assert_eq!(problem.message, "Write the question these options are for");
}

#[test]
fn options_without_a_question_are_refused_whatever_the_kind() {
    let problem = refusal(&[draft("", "rating", "Yes\nNo")]);
    assert_eq!(problem.question, Some(1));
    assert_eq!(problem.message, "Write the question these options are for");
}

#[test]
fn an_unknown_or_missing_kind_is_refused() {
    for kind in ["poll", "", "  "] {
        let problem = refusal(&[draft("Where?", kind, "Park\nShops")]);
        assert_eq!(problem.question, Some(1));
        assert_eq!(
            problem.message,
            "Choose what kind of answer this question asks for"
        );
    }
}

#[test]
fn a_question_with_options_needs_at_least_two() {
    for options in ["", "Yes", "Yes\n\n  \nyes\nYES "] {
        for kind in ["single", "multiple", "ranking"] {
            let problem = refusal(&[draft("Agree?", kind, options)]);
            assert_eq!(problem.question, Some(1));
            assert_eq!(problem.message, "Give at least two options, one a line");
        }
    }
    assert!(questions_from_drafts(&[draft("Agree?", "single", "Yes\nNo")]).is_ok());
}

#[test]
fn a_question_may_offer_at_most_twelve_options() {
    let twelve: Vec<String> = (1..=MAX_OPTIONS).map(|n| format!("Option {n}")).collect();
    let questions = questions_from_drafts(&[draft("Which?", "ranking", &twelve.join("\n"))])
        .expect("twelve are enough");
    assert_eq!(questions[0].options.len(), MAX_OPTIONS);

    let thirteen = format!("{}\nOne more", twelve.join("\n"));
    let problem = refusal(&[draft("Which?", "multiple", &thirteen)]);
    assert_eq!(problem.question, Some(1));
    assert_eq!(problem.message, "Give at most 12 options (there are 13)");
}

#[test]
fn a_question_over_300_characters_is_refused_counting_characters() {
    // 300 two-byte characters: 600 bytes, but within the limit.
    let longest = "é".repeat(MAX_PROMPT);
    assert!(questions_from_drafts(&[draft(&longest, "text", "")]).is_ok());

    let problem = refusal(&[draft(&format!("{longest}?"), "text", "")]);
    assert_eq!(problem.question, Some(1));
    assert_eq!(
        problem.message,
        "Shorten the question to 300 characters or fewer (it has 301)"
    );
}

#[test]
fn an_option_over_120_characters_is_refused_counting_characters() {
    let longest = "ü".repeat(MAX_OPTION);
    assert!(questions_from_drafts(&[draft("Which?", "single", &format!("{longest}\nNo"))]).is_ok());

    let too_long = format!("Speeding on {}", "x".repeat(MAX_OPTION));
    let problem = refusal(&[draft("Which?", "single", &format!("No\n{too_long}"))]);
    assert_eq!(problem.question, Some(1));
    assert_eq!(
        problem.message,
        "Shorten each option to 120 characters or fewer \
         (“Speeding on xxxxxxxxxxxxxxxxxxxxxxxxxxxx…” has 132)"
    );
}

#[test]
fn a_survey_needs_a_question() {
    for drafts in [vec![], vec![QuestionDraft::default(); 3]] {
        let problem = refusal(&drafts);
        assert_eq!(problem.question, None);
        assert_eq!(problem.message, "Add at least one question");
    }
}

#[test]
fn a_survey_may_have_at_most_twelve_questions() {
    let drafts: Vec<_> = (1..=MAX_QUESTIONS)
        .map(|n| draft(&format!("Question {n}"), "text", ""))
        .collect();
    assert_eq!(
        questions_from_drafts(&drafts).expect("twelve").len(),
        MAX_QUESTIONS
    );

    let mut too_many = drafts;
    too_many.push(draft("One more", "rating", ""));
    let problem = refusal(&too_many);
    assert_eq!(problem.question, None);
    assert_eq!(
        problem.message,
        "A survey can have at most 12 questions, and this one has 13: please remove some"
    );
}

#[test]
fn a_problem_names_the_slot_staff_filled_in() {
    let problem = refusal(&[
        draft("Where?", "single", "Park\nShops"),
        QuestionDraft::default(),
        draft("Which?", "single", "Only one"),
    ]);
    assert_eq!(problem.question, Some(3));
}

// Answers as stored

#[test]
fn answers_are_stored_as_short_text() {
    assert_eq!(Answer::Choice(2).encode(), "2");
    assert_eq!(Answer::Choices(vec![0, 3]).encode(), "0,3");
    assert_eq!(Answer::Ranking(vec![3, 0, 1, 2]).encode(), "3,0,1,2");
    assert_eq!(Answer::Rating(4).encode(), "4");
    assert_eq!(
        Answer::Text("Lights out, <b>again</b>\nsince May".into()).encode(),
        "Lights out, <b>again</b>\nsince May"
    );
}

#[test]
fn stored_answers_read_back_as_they_were() {
    let cases = [
        (QuestionKind::Single, 4, Answer::Choice(0)),
        (QuestionKind::Single, 4, Answer::Choice(3)),
        (QuestionKind::Multiple, 4, Answer::Choices(vec![2])),
        (QuestionKind::Multiple, 4, Answer::Choices(vec![0, 1, 3])),
        (QuestionKind::Ranking, 4, Answer::Ranking(vec![3, 0, 1, 2])),
        (
            QuestionKind::Ranking,
            12,
            Answer::Ranking((0..12).rev().collect()),
        ),
        (QuestionKind::Rating, 0, Answer::Rating(1)),
        (QuestionKind::Rating, 0, Answer::Rating(5)),
        (QuestionKind::Text, 0, Answer::Text("1,2\n3".into())),
        (QuestionKind::Text, 0, Answer::Text("  spaced  ".into())),
    ];
    for (kind, options, answer) in cases {
        assert_eq!(
            Answer::decode(kind, options, &answer.encode()),
            Some(answer.clone()),
            "{answer:?}"
        );
    }
}

#[test]
fn a_stored_choice_that_no_longer_fits_is_not_read() {
    assert_eq!(Answer::decode(QuestionKind::Single, 3, "3"), None);
    for stored in [
        "",
        "x",
        "-1",
        "+1",
        " 1",
        "1.0",
        "0,1",
        "99999999999999999999999",
    ] {
        assert_eq!(
            Answer::decode(QuestionKind::Single, 3, stored),
            None,
            "{stored:?}"
        );
    }
}

#[test]
fn stored_choices_that_no_longer_fit_are_not_read() {
    for stored in ["", "0,3", "1,1", "0,", ",0", "0, 1", "a,b"] {
        assert_eq!(
            Answer::decode(QuestionKind::Multiple, 3, stored),
            None,
            "{stored:?}"
        );
    }
    // Stored by hand out of order, they are read in the options' order.
    assert_eq!(
        Answer::decode(QuestionKind::Multiple, 3, "2,0"),
        Some(Answer::Choices(vec![0, 2]))
    );
}

#[test]
fn a_stored_ranking_that_no_longer_fits_is_not_read() {
    // The question gained an option, lost one, or the ranking repeats or skips one.
    for stored in ["", "0,1", "0,1,2,3", "0,0,1", "0,1,3", "2,1,x"] {
        assert_eq!(
            Answer::decode(QuestionKind::Ranking, 3, stored),
            None,
            "{stored:?}"
        );
    }
}

#[test]
fn a_stored_rating_outside_one_to_five_is_not_read() {
    for stored in ["0", "6", "x", "", "-3", "4.5", "256", "261"] {
        assert_eq!(
            Answer::decode(QuestionKind::Rating, 0, stored),
            None,
            "{stored:?}"
        );
    }
}

#[test]
fn a_stored_answer_of_another_kind_is_not_read_as_a_choice() {
    assert_eq!(Answer::decode(QuestionKind::Single, 3, "some words"), None);
    assert_eq!(Answer::decode(QuestionKind::Rating, 0, "0,1"), None);
    assert_eq!(
        Answer::decode(QuestionKind::Text, 0, "0,1"),
        Some(Answer::Text("0,1".into()))
    );
}

// Answers in words

#[test]
fn answers_are_described_in_words() {
    let single = question(QuestionKind::Single, &["Yes", "No"], false);
    let multiple = question(QuestionKind::Multiple, &["Park", "Shops", "School"], false);
    let ranking = crime_ranking();
    let rating = question(QuestionKind::Rating, &[], false);
    let text = question(QuestionKind::Text, &[], false);

    assert_eq!(Answer::Choice(1).describe(&single), "No");
    assert_eq!(
        Answer::Choices(vec![0, 2]).describe(&multiple),
        "Park; School"
    );
    assert_eq!(
        Answer::Ranking(vec![0, 1, 2]).describe(&ranking),
        "1. Speeding; 2. Drugs; 3. Litter"
    );
    assert_eq!(
        Answer::Ranking(vec![2, 0, 1]).describe(&ranking),
        "1. Litter; 2. Speeding; 3. Drugs"
    );
    assert_eq!(Answer::Rating(4).describe(&rating), "4");
    assert_eq!(
        Answer::Text("Too fast\non <Elm Road>".into()).describe(&text),
        "Too fast\non <Elm Road>"
    );
}

#[test]
fn an_option_the_question_lost_is_described_by_its_number() {
    let single = question(QuestionKind::Single, &["Yes", "No"], false);
    assert_eq!(Answer::Choice(4).describe(&single), "Option 5");
}

// The answer form

fn one_of_each(required: bool) -> Vec<Question> {
    vec![
        question(QuestionKind::Single, &["Yes", "No", "Not sure"], required),
        question(
            QuestionKind::Multiple,
            &["Park", "Shops", "School"],
            required,
        ),
        question(
            QuestionKind::Ranking,
            &["Speeding", "Drugs", "Litter"],
            required,
        ),
        question(QuestionKind::Rating, &[], required),
        question(QuestionKind::Text, &[], required),
    ]
}

#[test]
fn a_resident_answers_each_kind_of_question() {
    let answers = answers_from_form(
        &one_of_each(true),
        &form(&[
            ("csrf", "token"),
            ("q0", "2"),
            ("q1", "2"),
            ("q1", "0"),
            ("q2_0", "2"),
            ("q2_1", "3"),
            ("q2_2", "1"),
            ("q3", "4"),
            ("q4", "  Street lights out on Elm Road  "),
            ("submit", "Send"),
        ]),
    )
    .expect("accepted");
    assert_eq!(
        answers,
        [
            Some(Answer::Choice(2)),
            Some(Answer::Choices(vec![0, 2])),
            Some(Answer::Ranking(vec![2, 0, 1])),
            Some(Answer::Rating(4)),
            Some(Answer::Text("Street lights out on Elm Road".into())),
        ]
    );
}

#[test]
fn questions_left_blank_are_not_answered_when_not_required() {
    let empty = answers_from_form(&one_of_each(false), &[]).expect("accepted");
    assert_eq!(empty, [None, None, None, None, None]);

    let blank = answers_from_form(
        &one_of_each(false),
        &form(&[
            ("q0", ""),
            ("q1", " "),
            ("q2_0", ""),
            ("q2_1", " "),
            ("q2_2", ""),
            ("q3", ""),
            ("q4", " \r\n\t "),
        ]),
    )
    .expect("accepted");
    assert_eq!(blank, [None, None, None, None, None]);
}

#[test]
fn every_required_question_left_blank_is_pointed_out_at_once() {
    assert_eq!(
        problems(&one_of_each(true), &[("q4", "   ")]),
        [
            (0, "Choose an option".to_owned()),
            (1, "Choose at least one option".to_owned()),
            (2, "Put every option in order".to_owned()),
            (3, "Give a rating from 1 to 5".to_owned()),
            (4, "Answer this question".to_owned()),
        ]
    );
}

#[test]
fn problems_name_only_the_questions_that_have_them() {
    let mut questions = one_of_each(false);
    questions[4].required = true;
    assert_eq!(
        problems(&questions, &[("q0", "7"), ("q3", "5")]),
        [
            (0, "Choose one of the options given".to_owned()),
            (4, "Answer this question".to_owned()),
        ]
    );
}

#[test]
fn a_choice_must_be_one_of_the_options() {
    let single = question(QuestionKind::Single, &["Yes", "No"], false);
    for value in ["2", "-1", "x", "1.0", "+1"] {
        assert_eq!(
            only_problem(&single, &[("q0", value)]),
            "Choose one of the options given",
            "{value:?}"
        );
    }
    assert_eq!(
        only_answer(&single, &[("q0", " 1 ")]),
        Some(Answer::Choice(1))
    );
}

#[test]
fn one_choice_means_one() {
    let single = question(QuestionKind::Single, &["Yes", "No"], false);
    assert_eq!(
        only_problem(&single, &[("q0", "0"), ("q0", "1")]),
        "Choose only one option"
    );
    // The same choice sent twice is still one choice.
    assert_eq!(
        only_answer(&single, &[("q0", "1"), ("q0", "1")]),
        Some(Answer::Choice(1))
    );
}

#[test]
fn several_choices_are_kept_once_each_in_the_options_order() {
    let multiple = question(QuestionKind::Multiple, &["Park", "Shops", "School"], false);
    assert_eq!(
        only_answer(
            &multiple,
            &[("q0", "2"), ("q0", "0"), ("q0", "2"), ("q0", "")]
        ),
        Some(Answer::Choices(vec![0, 2]))
    );
    assert_eq!(
        only_problem(&multiple, &[("q0", "0"), ("q0", "3")]),
        "Choose only from the options given"
    );
}

#[test]
fn a_rating_is_from_one_to_five() {
    let rating = question(QuestionKind::Rating, &[], true);
    for value in ["0", "6", "x", "-1", "4.5", "10"] {
        assert_eq!(
            only_problem(&rating, &[("q0", value)]),
            "Give a rating from 1 to 5",
            "{value:?}"
        );
    }
    for stars in 1..=5_u8 {
        assert_eq!(
            only_answer(&rating, &[("q0", &format!(" {stars} "))]),
            Some(Answer::Rating(stars))
        );
    }
    assert_eq!(
        only_problem(&rating, &[("q0", "2"), ("q0", "5")]),
        "Give only one rating from 1 to 5"
    );
}

#[test]
fn a_ranking_is_read_as_the_options_from_first_to_last() {
    let answer = only_answer(
        &crime_ranking(),
        &[("q0_2", "1"), ("q0_0", " 3 "), ("q0_1", "2")],
    );
    assert_eq!(answer, Some(Answer::Ranking(vec![2, 1, 0])));
}

#[test]
fn a_ranking_giving_one_place_to_two_options_is_refused() {
    assert_eq!(
        only_problem(
            &crime_ranking(),
            &[("q0_0", "2"), ("q0_1", "2"), ("q0_2", "1")]
        ),
        "2 is given to two options: give each a different place"
    );
    assert_eq!(
        only_problem(
            &crime_ranking(),
            &[("q0_0", "1"), ("q0_1", "1"), ("q0_2", "1")]
        ),
        "1 is given to 3 options: give each a different place"
    );
}

#[test]
fn a_ranking_must_put_every_option_in_order_or_none() {
    let partial = [("q0_0", "1"), ("q0_1", ""), ("q0_2", "2")];
    assert_eq!(
        only_problem(&crime_ranking(), &partial),
        "Put every option in order, or leave them all blank"
    );
    let mut required = crime_ranking();
    required.required = true;
    assert_eq!(
        only_problem(&required, &partial),
        "Put every option in order"
    );
    assert_eq!(
        only_problem(&crime_ranking(), &[("q0_0", "1")]),
        "Put every option in order, or leave them all blank"
    );
}

#[test]
fn a_ranking_left_blank_is_no_answer_unless_required() {
    let blank = [("q0_0", ""), ("q0_1", ""), ("q0_2", "  ")];
    assert_eq!(only_answer(&crime_ranking(), &blank), None);
    let mut required = crime_ranking();
    required.required = true;
    assert_eq!(only_problem(&required, &blank), "Put every option in order");
}

#[test]
fn a_ranking_place_is_from_one_to_the_number_of_options() {
    for place in ["0", "4", "x", "-1", "1.5"] {
        assert_eq!(
            only_problem(
                &crime_ranking(),
                &[("q0_0", place), ("q0_1", "2"), ("q0_2", "3")]
            ),
            "Give each option a place from 1 to 3",
            "{place:?}"
        );
    }
}

#[test]
fn a_ranking_of_an_option_the_question_does_not_have_is_refused() {
    assert_eq!(
        only_problem(
            &crime_ranking(),
            &[("q0_0", "1"), ("q0_1", "2"), ("q0_2", "3"), ("q0_3", "4")]
        ),
        "Put in order only the options given"
    );
    // A blank box for it does no harm.
    assert_eq!(
        only_answer(
            &crime_ranking(),
            &[("q0_0", "1"), ("q0_1", "2"), ("q0_2", "3"), ("q0_3", "")]
        ),
        Some(Answer::Ranking(vec![0, 1, 2]))
    );
}

#[test]
fn free_text_up_to_two_thousand_characters_is_accepted_counting_characters() {
    let text = question(QuestionKind::Text, &[], false);
    // 2,000 characters of two bytes each: 4,000 bytes, still within the limit.
    let longest = "é".repeat(MAX_TEXT_ANSWER);
    assert_eq!(
        only_answer(&text, &[("q0", &longest)]),
        Some(Answer::Text(longest.clone()))
    );
    let emoji = "🚨".repeat(MAX_TEXT_ANSWER);
    assert_eq!(
        only_answer(&text, &[("q0", &emoji)]),
        Some(Answer::Text(emoji.clone()))
    );

    assert_eq!(
        only_problem(&text, &[("q0", &format!("{longest}ü"))]),
        "Shorten your answer to 2,000 characters or fewer: it has 2,001"
    );
    assert_eq!(
        only_problem(&text, &[("q0", &"ß".repeat(2_345))]),
        "Shorten your answer to 2,000 characters or fewer: it has 2,345"
    );
}

#[test]
fn surrounding_space_does_not_count_towards_the_limit() {
    let text = question(QuestionKind::Text, &[], false);
    let padded = format!("   {}\n\n", "a".repeat(MAX_TEXT_ANSWER));
    assert!(only_answer(&text, &[("q0", &padded)]).is_some());
}

#[test]
fn html_in_free_text_is_kept_as_text() {
    let text = question(QuestionKind::Text, &[], false);
    let html = "<script>alert('hi')</script> & <b>bold</b>";
    assert_eq!(
        only_answer(&text, &[("q0", html)]),
        Some(Answer::Text(html.to_owned()))
    );
}

#[test]
fn free_text_loses_control_characters_but_keeps_its_lines() {
    let text = question(QuestionKind::Text, &[], false);
    assert_eq!(
        only_answer(
            &text,
            &[(
                "q0",
                "\u{0}Cars\u{7} race\r\nat night\rand\u{1b}[31m\tearly\n\n"
            )]
        ),
        Some(Answer::Text("Cars race\nat night\nand[31m early".into()))
    );
}

#[test]
fn answers_to_questions_the_survey_does_not_have_are_ignored() {
    let single = question(QuestionKind::Single, &["Yes", "No"], false);
    assert_eq!(
        only_answer(
            &single,
            &[("q1", "0"), ("q", "1"), ("q0_1", "1"), ("qx", "1")]
        ),
        None
    );
}

// Results

#[test]
fn single_choices_are_counted_for_each_option() {
    let single = question(QuestionKind::Single, &["Yes", "No", "Not sure"], false);
    let answers = [
        Answer::Choice(0),
        Answer::Choice(2),
        Answer::Choice(0),
        // Not answers to this question: skipped.
        Answer::Choice(3),
        Answer::Rating(2),
        Answer::Choices(vec![1]),
    ];
    assert_eq!(
        tally(&single, &answers),
        Tally::Choices {
            answered: 3,
            counts: vec![2, 0, 1]
        }
    );
}

#[test]
fn several_choices_count_once_for_each_option_ticked() {
    let multiple = question(QuestionKind::Multiple, &["Park", "Shops", "School"], false);
    let answers = [
        Answer::Choices(vec![0, 2]),
        Answer::Choices(vec![2]),
        Answer::Choices(vec![0, 1, 2]),
        Answer::Choice(1),
        Answer::Choices(vec![]),
        Answer::Choices(vec![1, 5]),
    ];
    assert_eq!(
        tally(&multiple, &answers),
        Tally::Choices {
            answered: 3,
            counts: vec![2, 1, 3]
        }
    );
}

#[test]
fn rankings_are_counted_as_average_places_and_firsts() {
    let answers = [
        Answer::Ranking(vec![0, 1, 2]),
        Answer::Ranking(vec![0, 2, 1]),
        Answer::Ranking(vec![1, 0, 2]),
        Answer::Ranking(vec![2, 1, 0]),
        // Ranking fewer options than the question has: skipped.
        Answer::Ranking(vec![1, 0]),
        Answer::Choice(0),
    ];
    assert_eq!(
        tally(&crime_ranking(), &answers),
        Tally::Ranking {
            answered: 4,
            average_position: vec![1.75, 2.0, 2.25],
            first: vec![2, 1, 1],
        }
    );
}

#[test]
fn ratings_are_counted_and_averaged() {
    let rating = question(QuestionKind::Rating, &[], false);
    let answers = [
        Answer::Rating(5),
        Answer::Rating(4),
        Answer::Rating(4),
        Answer::Rating(1),
        Answer::Rating(0),
        Answer::Rating(6),
        Answer::Text("5".into()),
    ];
    assert_eq!(
        tally(&rating, &answers),
        Tally::Rating {
            answered: 4,
            counts: [1, 0, 0, 2, 1],
            average: 3.5,
        }
    );
}

#[test]
fn free_text_answers_are_listed_in_the_order_given() {
    let text = question(QuestionKind::Text, &[], false);
    let answers = [
        Answer::Text("Speeding".into()),
        Answer::Rating(3),
        Answer::Text("Noise at night".into()),
    ];
    assert_eq!(
        tally(&text, &answers),
        Tally::Text {
            answers: vec!["Speeding".into(), "Noise at night".into()]
        }
    );
}

#[test]
fn a_question_nobody_answered_counts_zero() {
    let none: [Answer; 0] = [];
    let single = question(QuestionKind::Single, &["Yes", "No"], false);
    let multiple = question(QuestionKind::Multiple, &["Park", "Shops"], false);
    assert_eq!(
        tally(&single, &none),
        Tally::Choices {
            answered: 0,
            counts: vec![0, 0]
        }
    );
    assert_eq!(
        tally(&multiple, &none),
        Tally::Choices {
            answered: 0,
            counts: vec![0, 0]
        }
    );
    assert_eq!(
        tally(&crime_ranking(), &none),
        Tally::Ranking {
            answered: 0,
            average_position: vec![0.0, 0.0, 0.0],
            first: vec![0, 0, 0],
        }
    );
    assert_eq!(
        tally(&question(QuestionKind::Rating, &[], false), &none),
        Tally::Rating {
            answered: 0,
            counts: [0; 5],
            average: 0.0,
        }
    );
    assert_eq!(
        tally(&question(QuestionKind::Text, &[], false), &none),
        Tally::Text { answers: vec![] }
    );
}

#[test]
fn percentages_are_whole_and_rounded_half_up() {
    assert_eq!(percent(1, 3), 33);
    assert_eq!(percent(2, 3), 67);
    assert_eq!(percent(1, 2), 50);
    assert_eq!(percent(1, 8), 13); // 12.5
    assert_eq!(percent(3, 8), 38); // 37.5
    assert_eq!(percent(1, 200), 1); // 0.5
    assert_eq!(percent(1, 201), 0); // 0.497…
    assert_eq!(percent(0, 7), 0);
    assert_eq!(percent(7, 7), 100);
    assert_eq!(percent(u32::MAX, u32::MAX), 100);
    assert_eq!(percent(u32::MAX - 1, u32::MAX), 100);
}

#[test]
fn a_percentage_of_nobody_is_zero() {
    assert_eq!(percent(0, 0), 0);
    assert_eq!(percent(5, 0), 0);
}

// CSV

fn survey() -> Vec<Question> {
    vec![
        Question {
            prompt: "Which matters most?".into(),
            kind: QuestionKind::Ranking,
            options: vec!["Speeding".into(), "Drugs".into()],
            required: true,
        },
        Question {
            prompt: "How safe, 1 to 5?".into(),
            kind: QuestionKind::Rating,
            options: vec![],
            required: false,
        },
        Question {
            prompt: "Anything else?".into(),
            kind: QuestionKind::Text,
            options: vec![],
            required: false,
        },
    ]
}

fn row(district: &str, answers: Vec<Option<Answer>>) -> ResponseRow {
    ResponseRow {
        answered_on: "2025-03-01".into(),
        district: district.into(),
        answers,
    }
}

#[test]
fn csv_has_a_header_and_a_row_a_response_with_crlf_line_ends() {
    let rows = [
        row(
            "Cambridge",
            vec![
                Some(Answer::Ranking(vec![1, 0])),
                Some(Answer::Rating(4)),
                None,
            ],
        ),
        row(
            "Ely",
            vec![
                Some(Answer::Ranking(vec![0, 1])),
                None,
                Some(Answer::Text("No".into())),
            ],
        ),
    ];
    assert_eq!(
        csv(&survey(), &rows),
        "Answered on,District,Which matters most?,\"How safe, 1 to 5?\",Anything else?\r\n\
         2025-03-01,Cambridge,1. Drugs; 2. Speeding,4,\r\n\
         2025-03-01,Ely,1. Speeding; 2. Drugs,,No\r\n"
    );
}

#[test]
fn csv_of_no_responses_is_the_header_alone() {
    assert_eq!(
        csv(&survey(), &[]),
        "Answered on,District,Which matters most?,\"How safe, 1 to 5?\",Anything else?\r\n"
    );
}

#[test]
fn csv_quotes_commas_quotes_and_line_breaks() {
    let rows = [row(
        "Soham",
        vec![
            None,
            None,
            Some(Answer::Text("Cars \"racing\", again\nevery night".into())),
        ],
    )];
    let csv = csv(&survey(), &rows);
    assert!(
        csv.ends_with("\r\n2025-03-01,Soham,,,\"Cars \"\"racing\"\", again\nevery night\"\r\n"),
        "{csv:?}"
    );
}

#[test]
fn csv_with_fewer_answers_than_questions_leaves_the_rest_blank() {
    let rows = [row("Ely", vec![Some(Answer::Ranking(vec![0, 1]))])];
    assert!(csv(&survey(), &rows).ends_with("\r\n2025-03-01,Ely,1. Speeding; 2. Drugs,,\r\n"));
}

#[test]
fn csv_values_a_spreadsheet_would_run_are_made_plain_text() {
    let questions = [Question {
        prompt: "=Why?".into(),
        kind: QuestionKind::Text,
        options: vec![],
        required: false,
    }];
    let rows: Vec<_> = [
        "=HYPERLINK(\"http://evil.example\")",
        "+44 1223 000000",
        "-1",
        "@SUM(A1)",
        "\tindented",
        "\rreturn",
        "Fine = fine",
    ]
    .into_iter()
    .map(|text| row("March", vec![Some(Answer::Text(text.into()))]))
    .chain([row("=1+1", vec![None])])
    .collect();
    let lines: Vec<_> = csv(&questions, &rows)
        .split("\r\n")
        .map(str::to_owned)
        .collect();
    assert_eq!(
        lines,
        [
            "Answered on,District,'=Why?",
            "2025-03-01,March,\"'=HYPERLINK(\"\"http://evil.example\"\")\"",
            "2025-03-01,March,'+44 1223 000000",
            "2025-03-01,March,'-1",
            "2025-03-01,March,'@SUM(A1)",
            "2025-03-01,March,'\tindented",
            "2025-03-01,March,\"'\rreturn\"",
            "2025-03-01,March,Fine = fine",
            "2025-03-01,'=1+1,",
            "",
        ]
    );
}
