// Fuzzes RFC 8941 Lists (structured_fields.h): any value gives a List or kInvalidArgument
// "F: <what> at offset <n>"; a List that parses serializes, and its canonical text parses back
// to the same List and serializes to the same text.
#include "faultline/ratelimit/structured_fields.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_targets.h"

namespace faultline::fuzz {

int fuzz_structured_fields(const std::uint8_t* data, std::size_t size) {
  namespace sf = ratelimit::sf;
  const Result<sf::List> list = sf::parse_list("F", as_text(data, size));
  if (!list.ok()) {
    require_error(list.error(), ErrorCode::kInvalidArgument, "F: ", "parse_list");
    require(list.error().message.find(" at offset ") != std::string::npos,
            "parse_list: error gives no offset: " + list.error().message);
    return 0;
  }
  const Result<std::string> text = sf::serialize_list("F", *list);
  require(text.ok(), "serialize_list: refuses what parsed: " +
                         (text.ok() ? std::string() : text.error().message));
  const Result<sf::List> again = sf::parse_list("F", *text);
  require(again.ok() && *again == *list, "parse_list: canonical text reads differently: " + *text);
  const Result<std::string> text_again = sf::serialize_list("F", *again);
  require(text_again.ok() && *text_again == *text, "serialize_list: not canonical: " + *text);
  return 0;
}

}  // namespace faultline::fuzz
