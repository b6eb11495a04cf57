/*
 * client.cpp - a C++ client of ymir_vmc.h: it builds the ECHO request of the golden vectors with
 * the header's structs and constants and names the status of a response with its X-macros, which
 * is what a C++ guest or tool does with the header. The test compiles it with
 * g++ -std=c++17 -Wall -Wextra -Werror and compares its output with the vectors.
 *
 * usage: client VECTOR_DIR
 */
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "ymir_vmc.h"

namespace {

std::vector<uint8_t> read_file(const char *dir, const char *name)
{
	std::string path = std::string(dir) + "/" + name;
	std::ifstream in(path, std::ios::binary);
	return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

const char *status_name(int32_t status)
{
	switch (status) {
#define NAME(name, value) case value: return #name;
	YMIR_VMC_STATUSES(NAME)
#undef NAME
	}
	return "unknown";
}

/* An ECHO of "ymir", as vectors/request-echo.bin holds it. */
std::vector<uint8_t> echo_request()
{
	const char text[] = "ymir";
	ymir_vmc_request_header header{};
	ymir_vmc_request_entry entry{};
	std::vector<uint8_t> out(sizeof header + sizeof entry + 8, 0);

	header.magic = YMIR_VMC_REQUEST_MAGIC;
	header.version_major = YMIR_VMC_ABI_MAJOR;
	header.version_minor = YMIR_VMC_ABI_MINOR;
	header.entry_count = 1;
	header.total_length = static_cast<uint32_t>(out.size());
	entry.op = YMIR_VMC_OP_ECHO;
	entry.arg_length = sizeof text - 1;
	std::memcpy(out.data(), &header, sizeof header);
	std::memcpy(out.data() + sizeof header, &entry, sizeof entry);
	std::memcpy(out.data() + sizeof header + sizeof entry, text, sizeof text - 1);
	return out;
}

} // namespace

int main(int argc, char **argv)
{
	if (argc != 2) {
		std::fprintf(stderr, "usage: %s VECTOR_DIR\n", argv[0]);
		return 2;
	}
	bool same = echo_request() == read_file(argv[1], "request-echo.bin");
	std::vector<uint8_t> answer = read_file(argv[1], "entry-response-eperm.bin");
	ymir_vmc_response_entry entry{};
	if (answer.size() < sizeof(ymir_vmc_response_header) + sizeof entry) return 1;
	std::memcpy(&entry, answer.data() + sizeof(ymir_vmc_response_header), sizeof entry);
	std::printf("request-echo %s\nentry-response-eperm %s\n", same ? "equal" : "differs", status_name(entry.status));
	return same ? 0 : 1;
}
