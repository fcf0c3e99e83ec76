-- wrk script: eMSP receiver ingest. MODE=patch: PATCH one of SESSIONS sessions appending a new charging period;
-- MODE=post: POST a new CDR (unique id per request). Loopback only; the body templates come from the env.
local mode = os.getenv("MODE") or "patch"
local auth = os.getenv("AUTH")
local sessions = tonumber(os.getenv("SESSIONS") or "1000")
local base = os.getenv("BASE_PATH")
local template = os.getenv("BODY")
local counter = 0
request = function()
  counter = counter + 1
  local headers = {["Authorization"] = auth, ["Content-Type"] = "application/json"}
  if mode == "patch" then
    local sid = string.format("S%06d", counter % sessions)
    local seconds = math.floor(counter / sessions)
    local stamp = string.format("2024-03-01T%02d:%02d:%02dZ", 10 + math.floor(seconds / 3600) % 12,
                                math.floor(seconds / 60) % 60, seconds % 60)
    local body = string.gsub(template, "STAMP", stamp)
    return wrk.format("PATCH", base .. "/DE/ABC/" .. sid, headers, body)
  end
  local body = string.gsub(template, "CDRID", string.format("C%09d", counter))
  return wrk.format("POST", base, headers, body)
end
