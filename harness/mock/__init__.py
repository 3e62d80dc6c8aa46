"""Offline PodcastAPI v2 stand-in (like Listen Notes' mock server), served in-process or by
`harness mock`: `harness.mock.app.create_mock_app`, `MOCK_BASE_URL`, `harness.mock.faults.Faults`.
"""
