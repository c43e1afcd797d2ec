"""The filing form's rules (web/domain/filing.py): questions from a service definition, the form
read as citizen-requests' NewRequest, the API's refusals placed next to their inputs."""

from web.domain.filing import errors_by_input, questions_of, read_filing

POTHOLE = {"service_code": "pothole", "attributes": [
    {"variable": True, "code": "size", "datatype": "singlevaluelist", "required": True, "order": 1,
     "description": "Розмір", "values": [{"key": "small", "name": "до 30 см"}, {"key": "large", "name": "понад 1 м"}]},
    {"variable": False, "code": "internal", "datatype": "string", "required": False, "order": 2, "description": "x"},
    {"variable": True, "code": "kinds", "datatype": "multivaluelist", "required": False, "order": 0,
     "description": "Що саме", "values": [{"key": "a", "name": "A"}, {"key": "b", "name": "B"}]},
]}


def test_questions_follow_the_definition_in_order_and_skip_what_the_citizen_does_not_answer():
    questions = questions_of(POTHOLE)
    assert [(q.code, q.input, q.required) for q in questions] == [("kinds", "checkboxes", False), ("size", "select", True)]
    assert questions[1].choices == (("small", "до 30 см"), ("large", "понад 1 м"))


def test_the_form_becomes_the_request_with_answers_and_a_decimal_comma_accepted():
    form = {"description": [" Яма "], "address": [""], "lat": ["50,91"], "long": ["34.8"], "publish": ["on"],
            "attr-size": ["large"], "attr-kinds": ["a", "b"], "csrf": ["x"]}
    filed = read_filing("pothole", questions_of(POTHOLE), form)
    assert filed.errors == {}
    assert filed.body == {"service_code": "pothole", "description": "Яма", "publish": True, "lat": 50.91, "long": 34.8,
                          "attributes": {"size": "large", "kinds": ["a", "b"]}}


def test_half_a_point_is_the_citizens_to_fix_before_anything_is_sent():
    filed = read_filing("pothole", [], {"lat": ["50.9"], "long": [""]})
    assert set(filed.errors) == {"long"}


def test_the_services_refusals_stand_next_to_their_inputs():
    problem = {"title": "x", "errors": [{"field": "location", "message": "give a location (lat/long) or an address"},
                                        {"field": "attributes.size", "message": "required"},
                                        {"field": "location.lat", "message": "lat must be within the city of Sumy"}]}
    said = errors_by_input(problem)
    assert said == {"address": "give a location (lat/long) or an address", "attr-size": "required",
                    "lat": "lat must be within the city of Sumy"}
    # The service had no Ukrainian for them (Content-Language "uk, en"): the web's own words stand in.
    ukrainian = errors_by_input(problem, in_ukrainian=False)
    assert ukrainian["address"].startswith("Вкажіть адресу") and ukrainian["attr-size"] == "Перевірте відповідь"


def test_a_refusal_of_no_input_goes_on_top_of_the_form():
    assert errors_by_input({"title": "Забагато звернень", "detail": "Спробуйте за годину"}) == {"": "Спробуйте за годину"}
