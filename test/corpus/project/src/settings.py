import os

ANTHROPIC_KEY = "sk-ant-api03-pAPzYoJuWop7xg9DFXZYdKTrlM14_MGH0Q8uKSt4ohsfdNT8orHgZjT7pL74ddQYsL3qGjeahRhY03nVXRno-lJqVg-pwAA"
PUBLIC_KEY = 'pk_live_r67MtyVgiWJiDBBzV6JUUtVo'
SPINNER_CLASSES = 'sk-loading-spinner sk-circle-bounce sk-fading-circle-with-long-modifier'
TASK_QUEUE = 'desk-task-runner-configuration-for-background-jobs'
PEM_HEADER = "-----BEGIN RSA PRIVATE KEY-----"
SHA_PATTERN = r'^[0-9a-f]{40}$'
REQUEST_ID = '88e8cf2d-a1d1-4fcc-ae6d-ba911c0368fa'
FIXTURE_COMMIT = '594306af24392e57a3e56d05b1bb5461a41282a1'
api_key = os.environ.get("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
