-- wrk script: GET one list page (LIST_PATH, path and query) with the partner's Authorization (loopback only).
local path = os.getenv("LIST_PATH")
local auth = os.getenv("AUTH")
request = function()
  return wrk.format("GET", path, {["Authorization"] = auth})
end
