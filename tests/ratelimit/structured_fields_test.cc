// The RFC 8941 List parser and serializer: each bare item type, the whitespace rules, every
// error with its offset, the bounds, round trips over generated lists, and no crash on any bytes.
#include "faultline/ratelimit/structured_fields.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

namespace faultline::ratelimit::sf {
namespace {

List parsed(std::string_view value) {
  Result<List> list = parse_list("F", value);
  EXPECT_TRUE(list.ok()) << value << ": " << list.error().message;
  return list.ok() ? std::move(list).value() : List{};
}

// The message of the error `value` must give.
std::string refusal(std::string_view value) {
  Result<List> list = parse_list("F", value);
  EXPECT_FALSE(list.ok()) << value;
  if (list.ok()) return "";
  EXPECT_EQ(list.error().code, ErrorCode::kInvalidArgument);
  return list.error().message;
}

TEST(StructuredFields, ParsesEachBareItemType) {
  const List list = parsed(R"(42, -7, 1.5, "s", tok/en:1, :aGVsbG8=:, ?1, ?0, *star)");
  ASSERT_EQ(list.size(), 9u);
  EXPECT_EQ(list[0].value, BareItem(std::int64_t{42}));
  EXPECT_EQ(list[1].value, BareItem(std::int64_t{-7}));
  EXPECT_EQ(list[2].value, BareItem(Decimal{1500}));
  EXPECT_EQ(list[3].value, BareItem(std::string("s")));
  EXPECT_EQ(list[4].value, BareItem(Token{"tok/en:1"}));
  EXPECT_EQ(list[5].value, BareItem(ByteSequence{"hello"}));
  EXPECT_EQ(list[6].value, BareItem(true));
  EXPECT_EQ(list[7].value, BareItem(false));
  EXPECT_EQ(list[8].value, BareItem(Token{"*star"}));
  EXPECT_EQ(list[3].offset, 13u);
}

TEST(StructuredFields, ParametersDuplicatesAndBooleans) {
  const List list = parsed(R"("a";x=1;y;x=3;z=?0)");
  ASSERT_EQ(list.size(), 1u);
  // A key given twice keeps its first place and its last value (RFC 8941 4.2.3.2).
  const std::vector<Parameter> want = {{"x", std::int64_t{3}}, {"y", true}, {"z", false}};
  EXPECT_EQ(list[0].params, want);
  EXPECT_EQ(*find_param(list[0].params, "x"), BareItem(std::int64_t{3}));
  EXPECT_EQ(find_param(list[0].params, "w"), nullptr);
}

TEST(StructuredFields, Whitespace) {
  EXPECT_TRUE(parsed("").empty());
  EXPECT_TRUE(parsed(" \t ").empty());
  EXPECT_EQ(parsed(" \t a ,\tb\t, c;x=1 ").size(), 3u);
  EXPECT_EQ(parsed("a;  x=1").front().params.size(), 1u);  // SP after ';' is allowed
  EXPECT_EQ(refusal("a ;x=1"), "F: expected ',' or the end after a member, found ';' at offset 2");
  EXPECT_EQ(refusal("a;x =1"), "F: expected ',' or the end after a member, found '=' at offset 4");
  EXPECT_EQ(refusal("a;x= 1"), "F: expected an item, found ' ' at offset 4");
  EXPECT_EQ(refusal("a;\tx=1"),
            "F: expected a parameter key (a lowercase letter or '*'), found 0x09 at offset 2");
}

TEST(StructuredFields, Numbers) {
  EXPECT_EQ(parsed("999999999999999").front().value, BareItem(kMaxInteger));
  EXPECT_EQ(parsed("-999999999999999").front().value, BareItem(-kMaxInteger));
  EXPECT_EQ(parsed("-0").front().value, BareItem(std::int64_t{0}));
  EXPECT_EQ(parsed("007").front().value, BareItem(std::int64_t{7}));
  EXPECT_EQ(parsed("123456789012.123").front().value, BareItem(Decimal{123456789012123}));
  EXPECT_EQ(parsed("-0.05").front().value, BareItem(Decimal{-50}));
  EXPECT_EQ(refusal("1000000000000000"), "F: an integer of more than 15 digits at offset 0");
  EXPECT_EQ(refusal("a, 1234567890123.1"),
            "F: a decimal with more than 12 integer digits at offset 3");
  EXPECT_EQ(refusal("1.2345"), "F: a decimal with more than 3 decimals at offset 0");
  EXPECT_EQ(refusal("1."), "F: a decimal ending in '.' at offset 0");
  EXPECT_EQ(refusal("1.2.3"), "F: expected ',' or the end after a member, found '.' at offset 3");
  EXPECT_EQ(refusal("-"), "F: expected a digit, found the end at offset 1");
  EXPECT_EQ(refusal("-a"), "F: expected a digit, found 'a' at offset 1");
}

TEST(StructuredFields, Strings) {
  EXPECT_EQ(parsed(R"("a\"b\\c")").front().value, BareItem(std::string(R"(a"b\c)")));
  EXPECT_EQ(parsed(R"("")").front().value, BareItem(std::string()));
  EXPECT_EQ(refusal(R"("a\nb")"),
            R"(F: an escape of 'n' in a string (only \" and \\) at offset 3)");
  EXPECT_EQ(refusal("\"a\x07\""), "F: 0x07 in a string (printable ASCII only) at offset 2");
  EXPECT_EQ(refusal("\"caf\xC3\xA9\""), "F: 0xC3 in a string (printable ASCII only) at offset 4");
  EXPECT_EQ(refusal(R"(x, "abc)"), R"(F: a string without its closing '"' at offset 3)");
  EXPECT_EQ(refusal(R"("abc\)"), R"(F: a string without its closing '"' at offset 0)");
}

TEST(StructuredFields, ByteSequences) {
  EXPECT_EQ(parsed(":aGVsbG8:").front().value, BareItem(ByteSequence{"hello"}));  // no padding
  EXPECT_EQ(parsed("::").front().value, BareItem(ByteSequence{""}));
  EXPECT_EQ(parsed(":QXBwLTk5OQ==:").front().value, BareItem(ByteSequence{"App-999"}));
  EXPECT_EQ(parsed(":/+8=:").front().value, BareItem(ByteSequence{"\xff\xef"}));
  EXPECT_EQ(refusal(":aGV*bG8=:"), "F: '*' in a byte sequence at offset 4");
  EXPECT_EQ(refusal(":aGVsbG8=x:"), "F: 'x' in a byte sequence at offset 9");
  EXPECT_EQ(refusal(":a:"), "F: a byte sequence of a length base64 cannot have at offset 0");
  EXPECT_EQ(parsed(":aGV=:").front().value, BareItem(ByteSequence{"he"}));
  EXPECT_EQ(refusal(":aG=:"), "F: misplaced '=' padding at offset 4");
  EXPECT_EQ(refusal(":aGVsbG8="), "F: a byte sequence without its closing ':' at offset 0");
}

TEST(StructuredFields, ListShapeErrors) {
  EXPECT_EQ(refusal("a,"), "F: a ',' with no member after it at offset 2");
  EXPECT_EQ(refusal("a, ,b"), "F: expected an item, found ',' at offset 3");
  EXPECT_EQ(refusal(",a"), "F: expected an item, found ',' at offset 0");
  EXPECT_EQ(refusal("a b"), "F: expected ',' or the end after a member, found 'b' at offset 2");
  EXPECT_EQ(refusal("(a b)"), "F: an Inner List where an Item is expected at offset 0");
  EXPECT_EQ(refusal("@12345"), "F: expected an item, found '@' at offset 0");
  EXPECT_EQ(refusal("a;Q=1"),
            "F: expected a parameter key (a lowercase letter or '*'), found 'Q' at offset 2");
  EXPECT_EQ(refusal("a;"),
            "F: expected a parameter key (a lowercase letter or '*'), found the end at offset 2");
  EXPECT_EQ(refusal("a;x="), "F: expected an item, found the end at offset 4");
  EXPECT_EQ(refusal("?2"), "F: expected ?0 or ?1, found '2' at offset 1");
  EXPECT_EQ(refusal("a=1"), "F: expected ',' or the end after a member, found '=' at offset 1");
}

TEST(StructuredFields, Bounds) {
  std::string sixteen = "a";
  for (int i = 1; i < 16; ++i) sixteen += ",a";
  EXPECT_EQ(parsed(sixteen).size(), kMaxListMembers);
  EXPECT_EQ(refusal(sixteen + ",a"), "F: more than 16 members at offset 32");

  std::string params = "a";
  for (int i = 0; i < 32; ++i) params += ";k" + std::to_string(i);
  EXPECT_EQ(parsed(params).front().params.size(), kMaxParameters);
  // A repeated key is not a new parameter.
  EXPECT_EQ(parsed(params + ";k0=2").front().params.size(), kMaxParameters);
  EXPECT_EQ(refusal(params + ";k32"),
            "F: more than 32 parameters at offset " + std::to_string(params.size() + 1));

  const std::string at_limit = '"' + std::string(kMaxFieldBytes - 2, 'x') + '"';
  EXPECT_EQ(parsed(at_limit).size(), 1u);
  EXPECT_EQ(refusal(at_limit + " "), "F: 4097 bytes, more than 4096 at offset 4096");
}

TEST(StructuredFields, SerializesCanonically) {
  const List list = {
      {.value = std::string(R"(a"b\c)"),
       .params = {{"q", std::int64_t{100}}, {"on", true}, {"off", false}}},
      {.value = Token{"*t/k:1"}, .params = {{"pk", ByteSequence{"App-999"}}}},
      {.value = Decimal{-1050}, .params = {{"d", Decimal{0}}, {"e", Decimal{123}}}},
  };
  Result<std::string> text = serialize_list("F", list);
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(*text, R"("a\"b\\c";q=100;on;off=?0, *t/k:1;pk=:QXBwLTk5OQ==:, -1.05;d=0.0;e=0.123)");
  EXPECT_EQ(parsed(*text), list);
}

TEST(StructuredFields, SerializeRefusesWhatRfc8941CannotCarry) {
  const auto refused = [](const List& list) {
    Result<std::string> text = serialize_list("F", list);
    EXPECT_FALSE(text.ok());
    return text.ok() ? std::string() : text.error().message;
  };
  EXPECT_EQ(refused({{.value = std::int64_t{1'000'000'000'000'000}}}),
            "F: member 0: integer 1000000000000000 has more than 15 digits");
  EXPECT_EQ(refused({{.value = std::string("ok")}, {.value = std::string("a\x01")}}),
            "F: member 1: string \"a\\x01\": byte 1 is 0x01, not printable ASCII (0x20-0x7E)");
  EXPECT_EQ(refused({{.value = Token{"9lives"}}}),
            "F: member 0: token \"9lives\" is not a token (RFC 8941 3.3.4)");
  EXPECT_EQ(refused({{.value = Token{""}}}),
            "F: member 0: token \"\" is not a token (RFC 8941 3.3.4)");
  EXPECT_EQ(refused({{.value = true, .params = {{"Q", true}}}}),
            "F: member 0: parameter key \"Q\" is not a key (RFC 8941 3.1.2)");
  EXPECT_EQ(refused({{.value = true, .params = {{"q", true}, {"q", false}}}}),
            "F: member 0: parameter key \"q\" appears twice");
  EXPECT_EQ(refused({{.value = true, .params = {{"q", std::string("\n")}}}}),
            "F: member 0: parameter q: string \"\\x0A\": byte 0 is 0x0A, not printable ASCII "
            "(0x20-0x7E)");
  EXPECT_EQ(refused({{.value = Decimal{1'000'000'000'000'000}}}),
            "F: member 0: decimal 1000000000000000 thousandths has more than 12 integer digits");
}

// --- Generated lists ------------------------------------------------------------------------

rc::Gen<std::string> gen_printable() {
  return rc::gen::container<std::string>(rc::gen::inRange<char>(0x20, 0x7f));
}

rc::Gen<BareItem> gen_bare_item() {
  return rc::gen::oneOf(
      rc::gen::map(rc::gen::inRange<std::int64_t>(-kMaxInteger, kMaxInteger + 1),
                   [](std::int64_t i) { return BareItem(i); }),
      rc::gen::map(rc::gen::inRange<std::int64_t>(-kMaxInteger, kMaxInteger + 1),
                   [](std::int64_t t) { return BareItem(Decimal{t}); }),
      rc::gen::map(gen_printable(), [](std::string s) { return BareItem(std::move(s)); }),
      rc::gen::map(rc::gen::element<std::string>("a", "*", "Tok/en:x", "z9!#$%&'*+-.^_`|~"),
                   [](std::string t) { return BareItem(Token{std::move(t)}); }),
      rc::gen::map(rc::gen::arbitrary<std::string>(),
                   [](std::string b) { return BareItem(ByteSequence{std::move(b)}); }),
      rc::gen::map(rc::gen::arbitrary<bool>(), [](bool b) { return BareItem(b); }));
}

rc::Gen<Item> gen_item() {
  const auto gen_param = rc::gen::construct<Parameter>(
      rc::gen::element<std::string>("q", "w", "*", "a-b_c.d*9"), gen_bare_item());
  return rc::gen::map(
      rc::gen::pair(gen_bare_item(), rc::gen::container<std::vector<Parameter>>(gen_param)),
      [](std::pair<BareItem, std::vector<Parameter>> p) {
        Item item{.value = std::move(p.first)};
        for (Parameter& param : p.second) {  // keys unique: a list serialize_list accepts
          if (find_param(item.params, param.key) == nullptr) item.params.push_back(param);
        }
        return item;
      });
}

RC_GTEST_PROP(StructuredFields, SerializeThenParseIsIdentity, ()) {
  const List list = *rc::gen::resize(8, rc::gen::container<List>(gen_item()));
  Result<std::string> text = serialize_list("F", list);
  RC_ASSERT(text.ok());
  RC_PRE(text->size() <= kMaxFieldBytes && list.size() <= kMaxListMembers);
  Result<List> back = parse_list("F", *text);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == list);
  // The canonical text is a fixed point.
  RC_ASSERT(*serialize_list("F", *back) == *text);
}

// Any bytes: an answer (a list or a message with an offset), never a crash. Issue 13 fuzzes the
// same entry point; this keeps the cheap part of that in every run, under the sanitizers too.
RC_GTEST_PROP(StructuredFields, AnyBytesGiveAnAnswer, ()) {
  const std::string valid = R"("a\"b";q=1;w=2.5;pk=:QQ==:;t, tok;x=?1, -3)";
  const auto mutated = rc::gen::map(
      rc::gen::pair(rc::gen::inRange<std::size_t>(0, valid.size()), rc::gen::arbitrary<char>()),
      [&](std::pair<std::size_t, char> edit) {
        std::string s = valid;
        s[edit.first] = edit.second;
        return s;
      });
  const std::string input =
      *rc::gen::oneOf(rc::gen::arbitrary<std::string>(), mutated,
                      rc::gen::map(rc::gen::inRange<std::size_t>(0, valid.size()),
                                   [&](std::size_t n) { return valid.substr(0, n); }));
  Result<List> list = parse_list("F", input);
  if (list.ok()) {
    RC_ASSERT(list->size() <= kMaxListMembers);
    // Whatever parses, serializes, and parses back the same.
    Result<std::string> text = serialize_list("F", *list);
    RC_ASSERT(text.ok());
    RC_ASSERT(*parse_list("F", *text) == *list);
  } else {
    RC_ASSERT(list.error().message.find(" at offset ") != std::string::npos);
  }
}

}  // namespace
}  // namespace faultline::ratelimit::sf
