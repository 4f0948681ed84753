"""VIAPI flows through Alibaba's official generated Python SDKs, unmodified, against the local stand-in:
videoenhan 2020-03-20 (SuperResolveVideo, GetAsyncJobResult) and viapi 2023-01-17 (QueryAsyncJobList,
GetAsyncJobResult, CancelWaitingAsyncJob), signed ACS3-HMAC-SHA256, ACS3-HMAC-SM3 and v2.

Environment: VSR_VIAPI_HOST (127.0.0.1:PORT), VSR_AK, VSR_SK, VSR_VIDEO_URL (a signed URL of a valid
video), VSR_ADMIN (the stand-in's admin endpoint) and VSR_ADMIN_TOKEN, used to hold jobs in the queue and to
move the stand-in's clock past the list's 5-second limit instead of sleeping.
Prints one JSON line {"client", "version", "checks"}; exits 1 if any check failed.
"""
import json
import os
import re
import sys
import time
import traceback
import urllib.request
from importlib.metadata import version as dist_version

import requests
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi.client import Client as OpenApiClient
from alibabacloud_tea_util import models as util_models
from alibabacloud_viapi20230117 import models as viapi_models
from alibabacloud_viapi20230117.client import Client as ViapiClient
from alibabacloud_videoenhan20200320 import models as ve_models
from alibabacloud_videoenhan20200320.client import Client as VideoenhanClient

HOST, AK, SK = os.environ["VSR_VIAPI_HOST"], os.environ["VSR_AK"], os.environ["VSR_SK"]
VIDEO_URL, ADMIN, TOKEN = os.environ["VSR_VIDEO_URL"], os.environ["VSR_ADMIN"], os.environ["VSR_ADMIN_TOKEN"]
DOC_MESSAGE = "该调用为异步调用,任务已提交成功,请以requestId的值作为jobId参数调用同类目下GetAsyncJobResult接口查询任务执行状态和结果。"
checks = []


def check(name, ok, detail=""):
    checks.append({"name": name, "ok": bool(ok), "detail": str(detail)[-1500:]})


def error_code(fn):
    try:
        fn()
        return None
    except Exception as e:  # the SDK's exceptions carry the service's Code
        return getattr(e, "code", None) or str(e)


def admin(route, body=None):
    req = urllib.request.Request(
        f"{ADMIN}/{route}",
        data=None if body is None else json.dumps(body).encode(),
        method="GET" if body is None else "POST",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def beijing(ms):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms / 1000 + 8 * 3600))


def config(**kw):
    return open_api_models.Config(access_key_id=kw.pop("ak", AK), access_key_secret=kw.pop("sk", SK), endpoint=HOST, protocol="http", region_id="cn-shanghai", **kw)


def wait_end(get, job_id, timeout=180):
    deadline = time.time() + timeout
    while True:
        data = get(job_id).body.data
        if data.status not in ("QUEUING", "PROCESSING") or time.time() > deadline:
            return data
        time.sleep(0.2)  # polling an external job: the condition is the job's status


def run():
    ve = VideoenhanClient(config())
    vi = ViapiClient(config())
    ve_get = lambda j: ve.get_async_job_result(ve_models.GetAsyncJobResultRequest(job_id=j))
    vi_get = lambda j: vi.get_async_job_result(viapi_models.GetAsyncJobResultRequest(job_id=j))

    # videoenhan: submit, poll, download the result
    sub = ve.super_resolve_video(ve_models.SuperResolveVideoRequest(video_url=VIDEO_URL, bit_rate=5))
    job = sub.body.request_id
    check("submit answers with the document's message", sub.body.message == DOC_MESSAGE, sub.body.message)
    check("x-acs-request-id header", sub.headers.get("x-acs-request-id") == job, sub.headers)
    done = wait_end(ve_get, job)
    check("job succeeds", done.status == "PROCESS_SUCCESS", vars(done))
    url = json.loads(done.result)["VideoUrl"]
    video = requests.get(url).content
    check("result URL serves an MP4", video[4:8] == b"ftyp", video[:16])
    check("viapi 2023-01-17 GetAsyncJobResult sees the job", vi_get(job).body.data.status == "PROCESS_SUCCESS")

    # the other signatures
    check("ACS3-HMAC-SM3", VideoenhanClient(config(signature_algorithm="ACS3-HMAC-SM3")).get_async_job_result(ve_models.GetAsyncJobResultRequest(job_id=job)).body.data.job_id == job)
    check("v2 signature", ViapiClient(config(signature_algorithm="v2")).get_async_job_result(viapi_models.GetAsyncJobResultRequest(job_id=job)).body.data.job_id == job)
    check("wrong secret refused", error_code(lambda: VideoenhanClient(config(sk="wrong")).get_async_job_result(ve_models.GetAsyncJobResultRequest(job_id=job))) == "SignatureDoesNotMatch")
    check("BitRate 101 refused", error_code(lambda: ve.super_resolve_video(ve_models.SuperResolveVideoRequest(video_url=VIDEO_URL, bit_rate=101))) == "InvalidParameter")
    check("Chinese URL refused", error_code(lambda: ve.super_resolve_video(ve_models.SuperResolveVideoRequest(video_url="http://127.0.0.1:1/视频.mp4", bit_rate=5))) == "InvalidParameter")
    generic = OpenApiClient(config())
    params = open_api_models.Params(action="QueryAsyncJobList", version="2020-03-20", protocol="HTTPS", pathname="/", method="POST", auth_type="AK", style="RPC", req_body_type="formData", body_type="json")
    check("no QueryAsyncJobList in videoenhan", error_code(lambda: generic.call_api(params, open_api_models.OpenApiRequest(body={}), util_models.RuntimeOptions())) == "InvalidAction.NotFound")

    # cancel what still waits: held in the queue by the stand-in's queue delay
    billed = admin("billing")["billableJobs"]
    admin("faults", {"queueDelayMs": 3_600_000})
    waiting = ve.super_resolve_video(ve_models.SuperResolveVideoRequest(video_url=VIDEO_URL, bit_rate=5)).body.request_id
    check("held job is QUEUING", vi_get(waiting).body.data.status == "QUEUING")
    c = vi.cancel_waiting_async_job(viapi_models.CancelWaitingAsyncJobRequest(job_id=waiting))
    check("CancelWaitingAsyncJob", c.body.success is True, c.body)
    check("cancelled job ends JOB_CANCELED", vi_get(waiting).body.data.status == "JOB_CANCELED")
    check("cancelled job is not billed", admin("billing")["billableJobs"] == billed, admin("billing"))
    admin("faults", {"queueDelayMs": 0})
    check("a finished job cannot be cancelled", error_code(lambda: vi.cancel_waiting_async_job(viapi_models.CancelWaitingAsyncJobRequest(job_id=job))) == "InvalidJobStatus")

    # the job list: real shapes, paging, one call per 5 s, a 24-hour window
    now = admin("clock")["now"]
    req = viapi_models.QueryAsyncJobListRequest(start_time=beijing(now - 3600_000), end_time=beijing(now + 60_000), pop_product="videoenhan", pop_api_name="SuperResolveVideo", page_num="1", page_size="1")
    first = vi.query_async_job_list(req).body
    check("list shape", first.success is True and first.data.total_record == 2 and first.data.total_page == 2 and first.data.page_size == 1 and first.data.current_page == 1, first.to_map())
    entry = first.data.result[0]
    check("list entry", entry.pop_product == "videoenhan" and entry.pop_api_name == "SuperResolveVideo" and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", entry.gmt_create or "") and entry.caller_parent_id, entry.to_map())
    check("list never returns the job's input", "VideoUrl" not in json.dumps(first.to_map()) and VIDEO_URL.split("?")[0] not in json.dumps(first.to_map()))
    check("second call within 5 s throttled", error_code(lambda: vi.query_async_job_list(req)) == "Throttling.User")
    admin("clock", {"advanceMs": 5000})
    req.page_num = "2"
    second = vi.query_async_job_list(req).body.data
    check("page 2", second.current_page == 2 and len(second.result) == 1 and second.result[0].job_id != entry.job_id, second.to_map())
    check("newest first, the cancelled one included", {entry.job_id, second.result[0].job_id} == {job, waiting} and entry.job_id == waiting)
    admin("clock", {"advanceMs": 5000})
    req = viapi_models.QueryAsyncJobListRequest(status="JOB_CANCELED", start_time=beijing(now - 3600_000), end_time=beijing(now + 60_000))
    cancelled = vi.query_async_job_list(req).body.data
    check("Status filter", [r.job_id for r in cancelled.result] == [waiting] and cancelled.result[0].end_time, cancelled.to_map())
    admin("clock", {"advanceMs": 5000})
    req = viapi_models.QueryAsyncJobListRequest(start_time=beijing(now - 25 * 3600_000), end_time=beijing(now))
    check("window over 24 hours refused", error_code(lambda: vi.query_async_job_list(req)) == "InvalidParameter")
    return {
        "videoenhan": dist_version("alibabacloud-videoenhan20200320"),
        "viapi": dist_version("alibabacloud-viapi20230117"),
        "tea-openapi": dist_version("alibabacloud-tea-openapi"),
    }


def main():
    try:
        version = run()
    except Exception:
        check("flow ran to the end", False, traceback.format_exc())
        version = "?"
    print(json.dumps({"client": "python-viapi", "version": version, "checks": checks}))
    sys.exit(0 if all(c["ok"] for c in checks) else 1)


if __name__ == "__main__":
    main()
