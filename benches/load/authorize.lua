-- wrk script: POST /tokens/{uid}/authorize among TOKENS own tokens (loopback only).
-- SEQUENTIAL=1 walks the uids in order (warm-up: every token read once); otherwise uids are random.
local tokens = tonumber(os.getenv("TOKENS") or "100000")
local auth = os.getenv("AUTH")
local path = os.getenv("AUTHORIZE_PATH") or "/ocpi/2.2.1/emsp/tokens/"
local sequential = os.getenv("SEQUENTIAL") == "1"
local next_uid = 0
math.randomseed(42)
request = function()
  local n
  if sequential then
    n = next_uid % tokens
    next_uid = next_uid + 1
  else
    n = math.random(0, tokens - 1)
  end
  local uid = string.format("TOK%07d", n)
  return wrk.format("POST", path .. uid .. "/authorize", {["Authorization"] = auth, ["Content-Length"] = "0"}, "")
end
