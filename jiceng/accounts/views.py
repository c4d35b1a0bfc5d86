from django.http import HttpResponse


def profile(request):
    return HttpResponse("profile")


def audit(request):
    return HttpResponse("audit")


def users(request):
    return HttpResponse("users")
