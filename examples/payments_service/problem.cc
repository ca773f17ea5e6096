#include "examples/payments_service/problem.h"

#include <nlohmann/json.hpp>

namespace faultline::payments {

HttpResponse problem_response(const Problem& problem) {
  // ordered_json keeps insertion order, so the body's bytes do not depend on key sorting.
  nlohmann::ordered_json body;
  body["type"] = "/problems/" + std::string(problem.type);
  body["title"] = problem.title;
  body["status"] = problem.status;
  body["detail"] = problem.detail;
  if (!problem.field.empty()) body["field"] = problem.field;
  HttpResponse response;
  response.status = problem.status;
  response.content_type = std::string(kProblemJson);
  // replace: a detail quoting invalid UTF-8 from the request must not throw.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

HttpResponse bad_request(std::string_view type, std::string_view field, std::string detail) {
  return problem_response({.status = 400,
                           .type = type,
                           .title = "The request is malformed",
                           .detail = std::move(detail),
                           .field = std::string(field)});
}

}  // namespace faultline::payments
